import Testing
@testable import CohortStatistics

@Suite struct AgreementSummaryTests {
    @Test func degenerateSamples() {
        let one = AgreementSummary(first: [10], second: [12])
        #expect(one.n == 1 && one.meanDifference == 2 && one.sdDifference.isNaN && one.limitsOfAgreement.low.isNaN)
        #expect(one.linCCC == 0, "no spread: 2·0/(0 + 0 + 4)")
        #expect(one.pearsonR.isNaN)
        let identical = AgreementSummary(first: [1, 2, 3], second: [1, 2, 3])
        #expect(identical.linCCC == 1 && identical.pearsonR == 1 && identical.meanDifference == 0 && identical.sdDifference == 0)
        // A constant offset: r stays 1, Lin's CCC falls.
        let shifted = AgreementSummary(first: [1, 2, 3], second: [2, 3, 4])
        #expect(shifted.pearsonR == 1 && abs(shifted.linCCC - (2 * (2.0 / 3)) / (2.0 / 3 + 2.0 / 3 + 1)) < 1e-15)
        let empty = AgreementSummary(first: [], second: [])
        #expect(empty.n == 0 && empty.meanDifference.isNaN)
    }
}
