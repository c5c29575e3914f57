import Testing
@testable import VoxelKernels

@Suite struct LabelImageTests {
    @Test func labelsThatFitInt32AreTheirOwnCodes() {
        let values: [Int64] = [0, 1, -1, 7, 32768, 16_777_216, 16_777_217, Int64(Int32.max), Int64(Int32.min)]
        let image = LabelImage(exactLabels: values)
        #expect(image.codesAreLabels)
        #expect(image.codes == values.map { Int32($0) })
        #expect(image.label(ofCode: 16_777_217) == 16_777_217)
        #expect(image.code(ofLabel: 16_777_216) == 16_777_216)
        #expect(image.code(ofLabel: 1 << 40) == nil)
        #expect(LabelImage(exactLabels: []) == LabelImage(labels: []))
    }

    /// Labels beyond Int32 keep their order and their identity: codes ascend with the labels,
    /// negative stay negative, 0 stays background, and every label translates back exactly.
    @Test func largeLabelsAreCodedInOrder() {
        let big: Int64 = 1 << 40, limit = LabelImage.maximumMagnitude
        let values: [Int64] = [0, big + 1, 5, -limit, big, 0, 5, limit, -3, big + 1]
        let image = LabelImage(exactLabels: values)
        #expect(!image.codesAreLabels)
        #expect(image.codes == [0, 3, 1, -2, 2, 0, 1, 4, -1, 3])
        for (value, code) in zip(values, image.codes) {
            #expect(image.label(ofCode: code) == value)
            #expect(image.code(ofLabel: value) == code)
        }
        #expect(image.code(ofLabel: 6) == nil)
        #expect(image.code(ofLabel: -4) == nil)
        // Resampled codes keep the table.
        let moved = image.withCodes([3, 0, -2])
        #expect(moved.label(ofCode: 3) == big + 1 && moved.label(ofCode: -2) == -limit)
    }

    @Test func manyVoxelsAcrossChunks() {
        let n = 300_000
        var values = (0..<n).map { Int64($0 % 1000) - 500 }
        #expect(LabelImage(exactLabels: values).codes == values.map { Int32($0) })
        values[n - 1] = 1 << 50
        let image = LabelImage(exactLabels: values)
        #expect(image.label(ofCode: image.codes[n - 1]) == 1 << 50)
        #expect(image.label(ofCode: image.codes[0]) == -500)
        #expect(image.codes[0] < image.codes[1] && image.codes[n - 2] < image.codes[n - 1])
    }
}
