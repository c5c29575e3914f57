import Foundation
import Testing
@testable import CohortStatistics

@Suite struct TwoByTwoTableTests {
    @Test func strictCutoff() {
        // 89 itself is below; 89.0001 is above.
        let table = TwoByTwoTable(values: [50, 89, 89, 89.0001, 120, 200], positive: [false, true, false, true, true, false], cutoff: 89)
        #expect(table == TwoByTwoTable(abovePositive: 2, aboveNegative: 1, belowPositive: 1, belowNegative: 2))
        #expect(near(table.responseAbovePercent!, 200.0 / 3, rel: 1e-15) && near(table.responseBelowPercent!, 100.0 / 3, rel: 1e-15))
    }

    /// [[20, 10], [10, 20]]: every expected count is 15 and every |O − E| is 5, so χ² = 4·25/15,
    /// Yates χ² = 4·4.5²/15 = 5.4; 1-df p-values are erfc(√(χ²/2)).
    @Test func chiSquaredByHand() throws {
        let table = TwoByTwoTable(abovePositive: 20, aboveNegative: 10, belowPositive: 10, belowNegative: 20)
        #expect(near(try #require(table.chiSquared), 100.0 / 15, rel: 1e-15))
        #expect(near(try #require(table.chiSquaredP), erfc((100.0 / 30).squareRoot()), rel: 1e-14))
        #expect(near(try #require(table.yatesChiSquared), 5.4, rel: 1e-15))
        #expect(near(try #require(table.yatesP), erfc(2.7.squareRoot()), rel: 1e-14))
    }

    /// The χ² statistic against Σ (O − E)²/E cell by cell, and Yates' rule when |O − E| < ½.
    @Test func chiSquaredAgainstCellSums() throws {
        for cells in [[7, 3, 2, 9], [1, 12, 5, 4], [30, 31, 29, 33], [5, 5, 5, 6]] {
            let table = TwoByTwoTable(abovePositive: cells[0], aboveNegative: cells[1], belowPositive: cells[2], belowNegative: cells[3])
            let n = Double(cells.reduce(0, +))
            let rows = [Double(cells[0] + cells[1]), Double(cells[2] + cells[3])]
            let columns = [Double(cells[0] + cells[2]), Double(cells[1] + cells[3])]
            var plain = 0.0, yates = 0.0
            for (index, observed) in cells.enumerated() {
                let expected = rows[index / 2] * columns[index % 2] / n
                let deviation = abs(Double(observed) - expected)
                plain += deviation * deviation / expected
                let corrected = deviation - min(0.5, deviation)
                yates += corrected * corrected / expected
            }
            #expect(near(try #require(table.chiSquared), plain, rel: 1e-13), "\(cells)")
            #expect(near(try #require(table.yatesChiSquared), yates, rel: 1e-13, abs: 1e-300), "\(cells)")
        }
        // |ad − bc| / N = 5/21 < ½: Yates removes the whole deviation, χ² = 0, p = 1.
        let close = TwoByTwoTable(abovePositive: 5, aboveNegative: 5, belowPositive: 5, belowNegative: 6)
        #expect(close.yatesChiSquared == 0 && close.yatesP == 1)
    }

    @Test func emptyRowOrColumn() {
        let noneAbove = TwoByTwoTable(abovePositive: 0, aboveNegative: 0, belowPositive: 4, belowNegative: 3)
        #expect(noneAbove.chiSquared == nil && noneAbove.chiSquaredP == nil && noneAbove.yatesP == nil)
        #expect(noneAbove.responseAbovePercent == nil && noneAbove.responseBelowPercent == 400.0 / 7)
        #expect(noneAbove.fisherExactP == 1)  // one table has these margins
        let noNegatives = TwoByTwoTable(abovePositive: 3, aboveNegative: 0, belowPositive: 2, belowNegative: 0)
        #expect(noNegatives.chiSquared == nil && noNegatives.fisherExactP == 1)
    }

    /// Fisher's tea-tasting table [[3, 1], [1, 3]]: with margins 4, 4, 4, 4 the tables x = 0…4
    /// have probabilities 1, 16, 36, 16, 1 (/70); those ≤ 16/70 sum to 34/70.
    @Test func fisherTeaTasting() {
        let table = TwoByTwoTable(abovePositive: 3, aboveNegative: 1, belowPositive: 1, belowNegative: 3)
        #expect(near(table.fisherExactP, 34.0 / 70, rel: 1e-12))
        let extreme = TwoByTwoTable(abovePositive: 4, aboveNegative: 0, belowPositive: 0, belowNegative: 4)
        #expect(near(extreme.fisherExactP, 2.0 / 70, rel: 1e-12))
        let central = TwoByTwoTable(abovePositive: 2, aboveNegative: 2, belowPositive: 2, belowNegative: 2)
        #expect(central.fisherExactP == 1)
    }

    /// Fisher's p against the hypergeometric distribution enumerated with exact binomial
    /// coefficients, for every table of several margins.
    @Test func fisherAgainstEnumeration() {
        for (rowAbove, columnPositive, n) in [(5, 7, 12), (3, 9, 20), (10, 10, 20), (6, 2, 25), (13, 17, 40)] {
            let lowest = max(0, rowAbove + columnPositive - n), highest = min(rowAbove, columnPositive)
            let probabilities = (lowest...highest).map {
                binomial(columnPositive, $0) * binomial(n - columnPositive, rowAbove - $0) / binomial(n, rowAbove)
            }
            #expect(near(probabilities.reduce(0, +), 1, rel: 1e-12))
            for (offset, observed) in probabilities.enumerated() {
                let x = lowest + offset
                let expected = min(1, probabilities.filter { $0 <= observed * (1 + 1e-7) }.reduce(0, +))
                let table = TwoByTwoTable(abovePositive: x, aboveNegative: rowAbove - x,
                                          belowPositive: columnPositive - x, belowNegative: n - rowAbove - columnPositive + x)
                #expect(near(table.fisherExactP, expected, rel: 1e-11), "margins \(rowAbove), \(columnPositive), \(n); x = \(x)")
            }
        }
    }

    /// Large tables stay finite and in (0, 1]: no overflow in the probabilities.
    @Test func fisherLargeTable() {
        let table = TwoByTwoTable(abovePositive: 900, aboveNegative: 100, belowPositive: 100, belowNegative: 900)
        let p = table.fisherExactP
        #expect(p > 0 && p < 1e-200)
        #expect(TwoByTwoTable(abovePositive: 500, aboveNegative: 500, belowPositive: 500, belowNegative: 500).fisherExactP == 1)
    }
}
