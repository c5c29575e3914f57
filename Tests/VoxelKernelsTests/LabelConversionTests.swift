import Testing
@testable import VoxelKernels

@Suite struct LabelConversionTests {
    @Test func exactIntegersPass() {
        let values: [Float] = [0, -0.0, 1, -1, 7, 32767, 32768, -32769, 16_777_216, 2_147_483_520,
                               -2_147_483_648, 1e9, -1e9]
        let expected: [Int32] = [0, 0, 1, -1, 7, 32767, 32768, -32769, 16_777_216, 2_147_483_520,
                                 -2_147_483_648, 1_000_000_000, -1_000_000_000]
        #expect(LabelConversion.integers(values) == .success(expected))
        #expect(LabelConversion.integers([]) == .success([]))
    }

    @Test(arguments: [Float(1.5), -0.5, 0.1, .nan, .infinity, -.infinity, 3e9, -3e9, 2_147_483_648, -2_147_483_904])
    func nonIntegersFailWithIndex(bad: Float) {
        let values: [Float] = [1, 2, 3, bad, 4, 1.5]
        switch LabelConversion.integers(values) {
        case .success: Issue.record("\(bad) accepted")
        case .failure(let e):
            #expect(e.index == 3)
            #expect(e.value.bitPattern == bad.bitPattern)
        }
    }

    @Test func firstBadIndexAcrossChunks() {
        let n = 300_000
        var values = (0..<n).map { Float($0 % 1000) - 500 }
        let expectedAll = values.map { Int32($0) }
        #expect(LabelConversion.integers(values) == .success(expectedAll))
        // Bad values in the last chunk only.
        values[n - 10] = .nan
        values[n - 5] = 0.5
        #expect(isNaNFailure(values, at: n - 10))
        // And an earlier one in the first chunk wins.
        values[12] = 3e9
        #expect(LabelConversion.integers(values) == .failure(.init(index: 12, value: 3e9)))
        // Bad value right at a chunk boundary.
        values[12] = 0
        let boundary = Parallel.chunks(count: n).count > 1 ? Parallel.chunks(count: n)[1].lowerBound : n / 2
        values[boundary] = -.infinity
        #expect(LabelConversion.integers(values) == .failure(.init(index: boundary, value: -.infinity)))
    }

    /// NaN ≠ NaN, so the Equatable failure cannot match; compare the index instead.
    func isNaNFailure(_ values: [Float], at index: Int) -> Bool {
        if case .failure(let e) = LabelConversion.integers(values) { return e.index == index && e.value.isNaN }
        return false
    }
}
