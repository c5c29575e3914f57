import Foundation
import Testing
@testable import CohortStatistics
import TestSupport

/// ψ(x₊, x₋) = 1, ½, 0 for >, =, <.
private func psi(_ positive: Double, _ negative: Double) -> Double {
    positive > negative ? 1 : positive == negative ? 0.5 : 0
}

/// Random values on a coarse grid (so that ties occur), positives shifted up by one on average,
/// with an outcome holding both classes.
private func sample(_ n: Int, seed: UInt64, grid: Double = 0.5) -> (values: [Double], positive: [Bool]) {
    var rng = SplitMix64(seed: seed)
    var values: [Double] = [], positive: [Bool] = []
    for i in 0..<n {
        let isPositive = i < 2 ? i == 0 : Bool.random(using: &rng)
        values.append((Double.random(in: 0..<6, using: &rng) + (isPositive ? 1 : 0)).rounded() * grid)
        positive.append(isPositive)
    }
    return (values, positive)
}

@Suite struct RankStatisticsTests {
    @Test func midranksAndTieGroups() {
        let (ranks, ties) = Ranking.midranks([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5])
        // Sorted: 1 1 2 3 3 4 5 5 5 6 9 → ranks 1.5 1.5 3 4.5 4.5 6 8 8 8 10 11.
        #expect(ranks == [4.5, 1.5, 6, 1.5, 8, 11, 3, 10, 8, 4.5, 8])
        #expect(ties == [2, 1, 2, 1, 3, 1, 1])
    }

    // MARK: ROC

    @Test func allTiesGiveHalf() throws {
        let roc = try #require(ROCAnalysis(values: [2, 2, 2, 2, 2], positive: [true, false, true, false, false]))
        #expect(roc.auc == 0.5 && roc.direction == .greater)
        // Every component is ½: the DeLong SE is 0 and the interval collapses on 0.5.
        #expect(roc.standardError == 0 && roc.ci95?.lower == 0.5 && roc.ci95?.upper == 0.5)
        // One candidate, 2; "greater" tests positive above it: nobody.
        #expect(roc.youdenCutoff == 2 && roc.sensitivity == 0 && roc.specificity == 1)
    }

    @Test func perfectSeparation() throws {
        let values: [Double] = [1, 2, 3, 10, 11, 12]
        let up = try #require(ROCAnalysis(values: values, positive: [false, false, false, true, true, true]))
        #expect(up.auc == 1 && up.direction == .greater && up.standardError == 0)
        #expect(up.ci95?.lower == 1 && up.ci95?.upper == 1)
        #expect(up.youdenCutoff == 3 && up.sensitivity == 1 && up.specificity == 1)
        let down = try #require(ROCAnalysis(values: values, positive: [true, true, true, false, false, false]))
        #expect(down.auc == 0 && down.direction == .less && down.standardError == 0)
        // "less" tests positive at value ≤ c: c = 3 catches every positive and no negative.
        #expect(down.youdenCutoff == 3 && down.sensitivity == 1 && down.specificity == 1)
    }

    @Test func emptyGroupAndSmallGroups() throws {
        #expect(ROCAnalysis(values: [1, 2], positive: [true, true]) == nil)
        #expect(ROCAnalysis(values: [1, 2], positive: [false, false]) == nil)
        let single = try #require(ROCAnalysis(values: [1, 2, 3], positive: [false, true, false]))
        #expect(single.auc == 0.5 && single.standardError == nil && single.ci95 == nil)
    }

    /// AUC and DeLong's components against the O(n₁n₀) definitions, with ties.
    @Test(arguments: [(5, 1), (12, 2), (40, 3), (151, 4)])
    func delongAgainstBruteForce(n: Int, seed: UInt64) throws {
        let (values, positive) = sample(n, seed: seed)
        let pos = zip(values, positive).filter { $0.1 }.map(\.0), neg = zip(values, positive).filter { !$0.1 }.map(\.0)
        let v10 = pos.map { p in neg.reduce(0.0) { $0 + psi(p, $1) } / Double(neg.count) }
        let v01 = neg.map { q in pos.reduce(0.0) { $0 + psi($1, q) } / Double(pos.count) }
        let auc = v10.reduce(0, +) / Double(pos.count)
        let components = ROCAnalysis.delongComponents(values: values, positive: positive)
        #expect(zip(components.v10, v10).allSatisfy { near($0, $1, rel: 1e-14) } && components.v10.count == v10.count)
        #expect(zip(components.v01, v01).allSatisfy { near($0, $1, rel: 1e-14) } && components.v01.count == v01.count)
        let roc = try #require(ROCAnalysis(values: values, positive: positive))
        #expect(near(roc.auc, auc, rel: 1e-14))
        if pos.count >= 2 && neg.count >= 2 {
            func variance(_ x: [Double]) -> Double {
                let m = x.reduce(0, +) / Double(x.count)
                return x.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(x.count - 1)
            }
            let se = (variance(v10) / Double(pos.count) + variance(v01) / Double(neg.count)).squareRoot()
            #expect(near(try #require(roc.standardError), se, rel: 1e-12))
            let ci = try #require(roc.ci95)
            #expect(near(ci.lower, max(0, auc - 1.959964 * se), rel: 1e-12, abs: 1e-15))
            #expect(near(ci.upper, min(1, auc + 1.959964 * se), rel: 1e-12, abs: 1e-15))
        }
    }

    /// The Youden cut-off against a search over every candidate with exact rational comparison
    /// and the documented tie-break, in both directions.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64])
    func youdenAgainstBruteForce(seed: UInt64) throws {
        let (values, positive) = sample(30, seed: seed, grid: 1)
        let n1 = positive.filter { $0 }.count, n0 = positive.count - n1
        for direction in [ROCAnalysis.Direction.greater, .less] {
            var best: (j: Int, tn: Int, c: Double, tp: Int)? = nil
            for c in Set(values).sorted() {
                let testPositive = values.map { direction == .greater ? $0 > c : $0 <= c }
                let tp = zip(testPositive, positive).filter { $0 && $1 }.count
                let tn = zip(testPositive, positive).filter { !$0 && !$1 }.count
                let j = tp * n0 + tn * n1
                if best == nil || j > best!.j || (j == best!.j && tn > best!.tn) { best = (j, tn, c, tp) }
            }
            let found = ROCAnalysis.youden(values: values, positive: positive, direction: direction, positives: n1, negatives: n0)
            #expect(found.cutoff == best!.c && found.sensitivity == Double(best!.tp) / Double(n1)
                    && found.specificity == Double(best!.tn) / Double(n0), "seed \(seed) \(direction)")
        }
    }

    /// Equal J at two cut-offs: the higher specificity wins. Positives at 2 and 4, negatives at
    /// 1 and 3: "greater" at c = 1 gives sens 1, spec ½; at c = 3 sens ½, spec 1 (both J = ½).
    @Test func youdenTieBreak() throws {
        let roc = try #require(ROCAnalysis(values: [1, 2, 3, 4], positive: [false, true, false, true]))
        #expect(roc.auc == 0.75 && roc.youdenCutoff == 3 && roc.sensitivity == 0.5 && roc.specificity == 1)
        let mirrored = try #require(ROCAnalysis(values: [1, 2, 3, 4], positive: [true, false, true, false]))
        // "less", value ≤ c: c = 1 gives sens ½, spec 1; c = 3 sens 1, spec ½: the smaller c wins.
        #expect(mirrored.auc == 0.25 && mirrored.direction == .less)
        #expect(mirrored.youdenCutoff == 1 && mirrored.sensitivity == 0.5 && mirrored.specificity == 1)
    }

    // MARK: Mann–Whitney

    /// Positives 3, 5, 7 against negatives 1, 2, 4, 6: U = 2 + 3 + 4 = 9, μ = 6, σ² = 3·4/12·8 = 8,
    /// z = (3 − ½)/√8, so p = 2(1 − Φ(z)) = erfc(z/√2) = erfc(0.625).
    @Test func mannWhitneyByHand() throws {
        let test = try #require(MannWhitneyTest(values: [3, 5, 7, 1, 2, 4, 6], positive: [true, true, true, false, false, false, false]))
        #expect(test.u == 9)
        #expect(near(try #require(test.z), 2.5 / 8.0.squareRoot(), rel: 1e-15))
        #expect(near(try #require(test.p), erfc(0.625), rel: 1e-14))
    }

    /// With ties: positives 2, 3, 3 against negatives 1, 2, 3: U = 1.5 + 2.5 + 2.5 = 6.5, μ = 4.5;
    /// tie groups 1, 2, 3 → Σ(t³ − t) = 30; σ² = 9/12·(7 − 30/30) = 4.5; z = 1.5/√4.5 = 1/√2;
    /// p = erfc(½).
    @Test func mannWhitneyWithTiesByHand() throws {
        let test = try #require(MannWhitneyTest(values: [2, 3, 3, 1, 2, 3], positive: [true, true, true, false, false, false]))
        #expect(test.u == 6.5)
        #expect(near(try #require(test.z), 0.5.squareRoot(), rel: 1e-15))
        #expect(near(try #require(test.p), erfc(0.5), rel: 1e-14))
        let roc = try #require(ROCAnalysis(values: [2, 3, 3, 1, 2, 3], positive: [true, true, true, false, false, false]))
        #expect(roc.auc * 9 == test.u)
    }

    @Test func mannWhitneyEdgeCases() throws {
        // |U − μ| < ½: z floors at 0 and p is 1.
        let centred = try #require(MannWhitneyTest(values: [1, 2, 3, 4], positive: [true, false, false, true]))
        #expect(centred.u == 2 && centred.z == 0 && centred.p == 1)
        // All tied: σ = 0, no p.
        let tied = try #require(MannWhitneyTest(values: [5, 5, 5], positive: [true, false, true]))
        #expect(tied.u == 1 && tied.z == nil && tied.p == nil)
        #expect(MannWhitneyTest(values: [1, 2], positive: [true, true]) == nil)
        // U = AUC·n₁·n₀ on random data with ties.
        let (values, positive) = sample(80, seed: 9)
        let n1 = Double(positive.filter { $0 }.count), n0 = Double(positive.count) - n1
        let u = try #require(MannWhitneyTest(values: values, positive: positive)).u
        #expect(near(u, try #require(ROCAnalysis(values: values, positive: positive)).auc * n1 * n0, rel: 1e-14))
    }
}
