import Testing
@testable import VoxelKernels
import TestSupport

@Suite struct OrderStatisticsPercentileTests {
    static let standardQs: [Double] = [0, 0.1, 2, 5, 12.5, 25, 33.3, 50, 62.5, 66.7, 75, 95, 97.5, 98, 99.9, 100]

    func check(_ values: [Float], _ qs: [Double], _ context: String) {
        let sorted = values.sorted()
        let expected = qs.map { numpyLinearPercentile(sorted: sorted, $0) }
        let got = libraryPercentiles(values, qs)
        #expect(got.count == qs.count)
        for (i, q) in qs.enumerated() where got[i] != expected[i] {
            Issue.record("\(context): n=\(values.count) q=\(q): got \(got[i]), numpy-linear \(expected[i])")
        }
    }

    @Test func handComputedValues() {
        // numpy.percentile([1, 2, 3, 4], [0, 25, 50, 75, 100]) = [1, 1.75, 2.5, 3.25, 4]
        #expect(libraryPercentiles([4, 1, 3, 2], [0, 25, 50, 75, 100]) == [1, 1.75, 2.5, 3.25, 4])
        // numpy.percentile([10, 20, 30], [10, 90]) = [12, 28]
        #expect(libraryPercentiles([30, 10, 20], [10, 90]) == [12, 28])
        // n = 1: every percentile is the value.
        #expect(libraryPercentiles([7.5], [0, 37, 50, 100]) == [7.5, 7.5, 7.5, 7.5])
        // n = 2: h = q/100.
        #expect(libraryPercentiles([2, -2], [0, 50, 75, 100]) == [-2, 0, 1, 2])
    }

    @Test func emptyInputGivesNaN() {
        let r = libraryPercentiles([], [0, 50, 100])
        #expect(r.count == 3 && r.allSatisfy(\.isNaN))
    }

    @Test func resultsInRequestedOrderWithRepeats() {
        var rng = SplitMix64(seed: 11)
        let values = randomFloats(1000, &rng)
        check(values, [100, 0, 50, 50, 99, 1, 0, 100, 37.5], "unordered q list")
    }

    @Test(arguments: [1, 2, 3, 4, 5, 7, 15, 16, 17, 31, 64, 100, 257, 1000, 4097, 20000])
    func randomArrays(n: Int) {
        var rng = SplitMix64(seed: UInt64(n) &* 7919)
        for trial in 0..<6 {
            let values = randomFloats(n, &rng)
            let randomQs = (0..<8).map { _ in Double.random(in: 0...100, using: &rng) }
            check(values, Self.standardQs + randomQs, "random trial \(trial)")
        }
    }

    @Test(arguments: [3, 10, 100, 5000, 30000])
    func manyDuplicates(n: Int) {
        var rng = SplitMix64(seed: 99 + UInt64(n))
        let palette: [Float] = [-1, 0, 2.5, 3, 3, 3, 1e-3]
        let values = (0..<n).map { _ in palette[Int(rng.next() % UInt64(palette.count))] }
        check(values, Self.standardQs, "duplicates")
        let twoValues = (0..<n).map { _ in rng.next() % 10 == 0 ? Float(1) : Float(0) }
        check(twoValues, Self.standardQs, "two values")
    }

    @Test(arguments: [1, 2, 3, 16, 17, 1000, 65537])
    func adversarialOrders(n: Int) {
        let ascending = (0..<n).map { Float($0) * 0.37 - 11 }
        check(ascending, Self.standardQs, "sorted")
        check(ascending.reversed(), Self.standardQs, "reverse sorted")
        check([Float](repeating: 4.25, count: n), Self.standardQs, "all equal")
        // Organ pipe: up then down; and sawtooth; both defeat naive pivots.
        let half = n / 2
        let pipe = (0..<n).map { Float($0 < half ? $0 : n - $0) }
        check(pipe, Self.standardQs, "organ pipe")
        let saw = (0..<n).map { Float($0 % 17) }
        check(saw, Self.standardQs, "sawtooth")
        // Median-of-three killer style: alternating small/large.
        let alternating = (0..<n).map { $0 % 2 == 0 ? Float($0) : Float(n - $0) * 1000 }
        check(alternating, Self.standardQs, "alternating")
    }

    @Test func extremeMagnitudes() {
        let values: [Float] = [.greatestFiniteMagnitude, -.greatestFiniteMagnitude, 0, -0.0,
                               .leastNonzeroMagnitude, -.leastNonzeroMagnitude, 1, -1, 3.4e38, -3.4e38]
        check(values, Self.standardQs, "extremes")
    }

    /// The t ≥ 0.5 branch of numpy's `_lerp` matters: find data where a + d·t and
    /// b − d·(1 − t) differ and check the library picks numpy's.
    @Test func upperBranchOfLerpIsUsed() {
        var rng = SplitMix64(seed: 2024)
        var found = 0
        for _ in 0..<20000 where found < 50 {
            let a = Float.random(in: -10...10, using: &rng), b = Float.random(in: -10...10, using: &rng)
            let q = Double.random(in: 50...100, using: &rng)
            let lo = Double(min(a, b)), hi = Double(max(a, b))
            let t = q / 100
            let naive = lo + (hi - lo) * t
            let numpy = hi - (hi - lo) * (1 - t)
            guard naive != numpy else { continue }
            found += 1
            #expect(libraryPercentiles([a, b], [q]) == [numpy], "a=\(a) b=\(b) q=\(q)")
        }
        #expect(found > 10)
    }

    @Test func valuesArePermutedNotChanged() {
        var rng = SplitMix64(seed: 5)
        let values = randomFloats(3000, &rng)
        var copy = values
        _ = copy.withUnsafeMutableBufferPointer { OrderStatistics.percentiles(&$0, Self.standardQs) }
        #expect(sameMultiset(copy, values))
    }
}

@Suite struct OrderStatisticsSelectTests {
    func checkSelect(_ values: [Float], rank: Int, from: Int = 0, prepared: [Float]? = nil) {
        let sorted = values.sorted()
        var work = prepared ?? values
        work.withUnsafeMutableBufferPointer { OrderStatistics.select(&$0, rank: rank, from: from) }
        #expect(sameMultiset(work, values), "select lost or duplicated values")
        #expect(work[rank] == sorted[rank], "rank \(rank) of \(values.count): \(work[rank]) vs \(sorted[rank])")
        let pivot = work[rank]
        #expect(work[..<rank].allSatisfy { $0 <= pivot }, "an element before rank \(rank) is larger")
        #expect(work[(rank + 1)...].allSatisfy { $0 >= pivot }, "an element after rank \(rank) is smaller")
    }

    @Test(arguments: [1, 2, 3, 15, 16, 17, 33, 200, 1001, 10000])
    func everyRankOfRandomArrays(n: Int) {
        var rng = SplitMix64(seed: 31 &* UInt64(n))
        let values = randomFloats(n, &rng)
        let ranks = n <= 40 ? Array(0..<n) : [0, 1, n / 3, n / 2, n - 2, n - 1] + (0..<10).map { _ in Int.random(in: 0..<n, using: &rng) }
        for rank in ranks { checkSelect(values, rank: rank) }
    }

    @Test(arguments: [17, 100, 5000])
    func duplicatesAndAdversarialOrders(n: Int) {
        var rng = SplitMix64(seed: 77)
        let dup = (0..<n).map { _ in Float(rng.next() % 3) }
        let asc = (0..<n).map(Float.init)
        let equal = [Float](repeating: -2, count: n)
        let pipe = (0..<n).map { Float($0 < n / 2 ? $0 : n - $0) }
        for values in [dup, asc, Array(asc.reversed()), equal, pipe] {
            for rank in [0, n / 4, n / 2, n - 1] { checkSelect(values, rank: rank) }
        }
    }

    /// After selecting rank r, selecting a later rank from r only touches the suffix.
    @Test func selectFromAPreviousRank() {
        var rng = SplitMix64(seed: 123)
        let values = randomFloats(5000, &rng)
        let sorted = values.sorted()
        var work = values
        var previous = 0
        for rank in [10, 10, 400, 2500, 2501, 4999] {
            work.withUnsafeMutableBufferPointer { OrderStatistics.select(&$0, rank: rank, from: previous) }
            #expect(work[rank] == sorted[rank])
            #expect(work[..<rank].allSatisfy { $0 <= work[rank] })
            #expect(work[(rank + 1)...].allSatisfy { $0 >= work[rank] })
            previous = rank
        }
        #expect(sameMultiset(work, values))
    }
}
