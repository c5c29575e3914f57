import Foundation
import Testing
@testable import PETQuant

/// PERCIST 1.0 per lesion (CONTRACT.md "voxdose response"; REFERENCE.md §2.1; Wahl et al.,
/// JNM 2009;50 Suppl 1:122S). Expected categories are worked out from the rule text, not the code.
@Suite struct PercistResponseTests {
    typealias P = PercistResponse
    /// Low backgrounds (liver 1.0 ± 0.2, blood pool 0.8): nothing below reaches CMR by accident,
    /// and every lesion from 1.4 SUL up is measurable (1.5 · 1.0 + 2 · 0.2 = 1.9 is the threshold).
    static let references = P.References(liverMeanBaseline: 1.0, liverSDBaseline: 0.2,
                                         liverMeanFollowup: 1.0, bloodPoolMeanFollowup: 0.8)

    static func category(_ b: Double, _ f: Double, _ r: P.References = references) -> P.Category? {
        P.assess(baseline: b, followup: f, references: r).category
    }

    /// REFERENCE.md §2.1: 6.0 → 4.0 PMR; 2.5 → 1.9 SMD; 2.0 → 1.3 SMD (−35 % but −0.7 SUL only);
    /// 4.0 → 5.5 PMD.
    @Test func referenceCases() {
        let pmr = P.assess(baseline: 6.0, followup: 4.0, references: Self.references)
        #expect(pmr.category == .pmr && pmr.response == .pr && pmr.responder == true)
        #expect(abs(pmr.changePct! - (-100.0 / 3)) < 1e-12 && pmr.changeAbs == -2)
        let smd = P.assess(baseline: 2.5, followup: 1.9, references: Self.references)
        #expect(smd.category == .smd && smd.response == .sd && smd.responder == false)
        #expect(abs(smd.changePct! - (-24)) < 1e-12)
        let small = P.assess(baseline: 2.0, followup: 1.3, references: Self.references)
        #expect(small.category == .smd && abs(small.changePct! - (-35)) < 1e-12 && abs(small.changeAbs! - (-0.7)) < 1e-12)
        let pmd = P.assess(baseline: 4.0, followup: 5.5, references: Self.references)
        #expect(pmd.category == .pmd && pmd.response == .pd && pmd.responder == false)
        #expect(abs(pmd.changePct! - 37.5) < 1e-12 && pmd.changeAbs == 1.5)
        // Without any reference the four cases keep their categories (CMR is simply not assessed).
        for (b, f, c) in [(6.0, 4.0, P.Category.pmr), (2.5, 1.9, .smd), (2.0, 1.3, .smd), (4.0, 5.5, .pmd)] {
            #expect(Self.category(b, f, P.References()) == c)
        }
    }

    /// PMR: falls ≥ 30 % (inclusive) AND ≥ 0.8 SUL (inclusive).
    @Test func partialResponseEdges() {
        #expect(Self.category(6.0, 4.2) == .pmr)        // exactly −30 %, −1.8 SUL
        #expect(Self.category(6.0, 4.2000001) == .pmr)  // within the tolerance of −30 %
        #expect(Self.category(6.0, 4.21) == .smd)       // −29.83 %
        #expect(Self.category(6.0, 4.19) == .pmr)
        #expect(Self.category(2.0, 1.2) == .pmr)        // −40 %, exactly −0.8 SUL
        #expect(Self.category(2.0, 1.21) == .smd)       // −0.79 SUL
        #expect(Self.category(2.0, 1.19) == .pmr)
        #expect(Self.category(10.0, 7.0) == .pmr)       // exactly −30 %, −3 SUL
        #expect(Self.category(2.4, 1.68) == .smd)       // exactly −30 % but −0.72 SUL
    }

    /// PMD: rises > 30 % (strict) AND ≥ 0.8 SUL (inclusive).
    @Test func progressionEdges() {
        #expect(Self.category(3.0, 3.9) == .smd)        // exactly +30 %: not above
        #expect(Self.category(3.0, 3.9000001) == .smd)  // within the tolerance of +30 %
        #expect(Self.category(3.0, 3.91) == .pmd)
        #expect(Self.category(10.0, 13.0) == .smd)      // +30 % exactly, +3 SUL
        #expect(Self.category(10.0, 13.01) == .pmd)
        #expect(Self.category(2.0, 2.8) == .pmd)        // +40 %, exactly +0.8 SUL
        #expect(Self.category(2.0, 2.79) == .smd)       // +0.79 SUL
        #expect(Self.category(2.0, 2.81) == .pmd)
        #expect(Self.category(5.0, 5.0) == .smd)        // no change
    }

    /// Exact decimals stored as Float32 (as the maps hold them) land where the decimal rule says.
    @Test func float32StoredDecimals() {
        func f32(_ x: Double) -> Double { Double(Float(x)) }
        #expect(Self.category(f32(6.0), f32(4.2)) == .pmr)
        #expect(Self.category(f32(3.0), f32(3.9)) == .smd)   // Float(3.9) is 3.9000001, +30.000003 %
        #expect(Self.category(f32(2.3), f32(1.5)) == .pmr)   // Float(2.3) − 1.5 = 0.79999995
        #expect(Self.category(f32(1.7), f32(2.5)) == .pmd)   // +47 %, +0.8 SUL as decimals
        #expect(Self.category(f32(2.4), f32(1.68)) == .smd)
        let liver = P.References(liverMeanBaseline: f32(1.2), liverSDBaseline: f32(0.3))
        #expect(P.assess(baseline: f32(2.4), followup: 2, references: liver).measurable == false)  // = 1.8 + 0.6
    }

    /// Measurable when SULpeak > 1.5 · liver mean + 2 · SD (strict); null without the liver.
    @Test func measurability() {
        let r = P.References(liverMeanBaseline: 1.0, liverSDBaseline: 0.25)  // threshold 2.0
        #expect(P.assess(baseline: 2.0, followup: 2.0, references: r).measurable == false)
        #expect(P.assess(baseline: 2.01, followup: 2.0, references: r).measurable == true)
        #expect(P.assess(baseline: 1.99, followup: 2.0, references: r).measurable == false)
        #expect(P.isMeasurable(baselineSULpeak: 4.1, liverMean: 2.0, liverSD: 0.0))
        #expect(!P.isMeasurable(baselineSULpeak: 3.0, liverMean: 2.0, liverSD: 0.0))
        #expect(P.isMeasurable(baselineSULpeak: 3.0, liverMean: 1.2, liverSD: 0.4))    // threshold 1.8 + 0.8 = 2.6
        #expect(!P.isMeasurable(baselineSULpeak: 2.6, liverMean: 1.2, liverSD: 0.4))
        // No liver reference: measurable is null, and a non-measurable lesion is still categorised.
        #expect(P.assess(baseline: 6.0, followup: 4.0, references: P.References()).measurable == nil)
        let small = P.assess(baseline: 1.5, followup: 0.2, references: P.References(liverMeanBaseline: 1.0, liverSDBaseline: 0.2))
        #expect(small.measurable == false && small.category == .pmr)
        // The mean alone (no SD) does not make the rule.
        #expect(P.assess(baseline: 6.0, followup: 4.0, references: P.References(liverMeanBaseline: 1.0)).measurable == nil)
    }

    /// CMR: follow-up SULpeak ≤ follow-up liver SULmean AND ≤ follow-up blood-pool SULmean
    /// (both inclusive); tested before the change rules.
    @Test func completeResponse() {
        let r = P.References(liverMeanBaseline: 2.0, liverSDBaseline: 0.2, liverMeanFollowup: 2.0, bloodPoolMeanFollowup: 1.6)
        let cmr = P.assess(baseline: 8.0, followup: 1.6, references: r)
        #expect(cmr.category == .cmr && cmr.response == .cr && cmr.responder == true && cmr.notes.isEmpty)
        #expect(Self.category(8.0, 1.5, r) == .cmr)
        #expect(Self.category(8.0, 1.61, r) == .pmr)    // ≤ liver but above the blood pool
        let r2 = P.References(liverMeanFollowup: 1.5, bloodPoolMeanFollowup: 1.8)
        #expect(Self.category(8.0, 1.5, r2) == .cmr)     // exactly at the liver mean
        #expect(Self.category(8.0, 1.6, r2) == .pmr)     // ≤ blood pool but above the liver
        // CMR wins over the change rules: a small lesion whose uptake stays at background.
        #expect(Self.category(0.9, 1.5, r2) == .cmr)
    }

    /// Without the follow-up blood pool (or liver), CMR is not assigned; the lesion is categorised
    /// by the change rules and a note says why CMR was not given when the other condition held.
    @Test func completeResponseNeedsBothReferences() {
        let liverOnly = P.References(liverMeanBaseline: 2.0, liverSDBaseline: 0.2, liverMeanFollowup: 2.0)
        let a = P.assess(baseline: 8.0, followup: 1.0, references: liverOnly)
        #expect(a.category == .pmr && a.notes.count == 1 && a.notes[0].contains("blood-pool"))
        let b = P.assess(baseline: 8.0, followup: 5.0, references: liverOnly)   // above the liver: no note
        #expect(b.category == .pmr && b.notes.isEmpty)
        let bloodOnly = P.References(bloodPoolMeanFollowup: 1.6)
        let c = P.assess(baseline: 8.0, followup: 1.0, references: bloodOnly)
        #expect(c.category == .pmr && c.notes.count == 1 && c.notes[0].contains("liver"))
        #expect(c.measurable == nil)
        #expect(Self.category(1.0, 1.0, P.References()) == .smd)
    }

    /// Missing SULpeaks and a zero or negative baseline: null figures and a note, never NaN.
    @Test func missingOrUndefined() {
        let noFollowup = P.assess(baseline: 5.0, followup: nil, references: Self.references)
        #expect(noFollowup.category == nil && noFollowup.response == nil && noFollowup.responder == nil)
        #expect(noFollowup.changePct == nil && noFollowup.changeAbs == nil && noFollowup.measurable == true)
        #expect(noFollowup.notes.count == 1 && noFollowup.notes[0].contains("follow-up"))
        let noBaseline = P.assess(baseline: nil, followup: 5.0, references: Self.references)
        #expect(noBaseline.category == nil && noBaseline.measurable == nil && noBaseline.changeAbs == nil)
        #expect(noBaseline.notes.count == 1 && noBaseline.notes[0].contains("baseline"))
        let nan = P.assess(baseline: .nan, followup: .infinity, references: Self.references)
        #expect(nan.category == nil && nan.changePct == nil && nan.measurable == nil)
        let zero = P.assess(baseline: 0, followup: 1.0, references: Self.references)
        #expect(zero.category == nil && zero.changePct == nil && zero.changeAbs == 1.0 && zero.measurable == false)
        #expect(zero.notes.count == 1 && zero.notes[0].contains("0"))
        let negative = P.assess(baseline: -0.5, followup: 0.1, references: Self.references)
        #expect(negative.category == nil && negative.changePct == nil && negative.notes[0].contains("negative"))
    }

    /// Reference mean and population SD over the finite masked voxels.
    @Test func referenceRegion() throws {
        let sul: [Float] = [1, 2, 3, 4, .nan, 100]
        let mask: [Int32] = [1, 1, 1, 1, 1, 0]
        let (mean, sd) = try #require(P.regionMeanAndSD(sul, mask: mask))
        #expect(mean == 2.5 && abs(sd - 1.25.squareRoot()) < 1e-12)   // population: Σd² = 5, n = 4
        #expect(P.regionMeanAndSD([.nan, 1], mask: [1, 0]) == nil)
        #expect(P.regionMeanAndSD([1, 1], mask: [0, 0]) == nil)
    }
}
