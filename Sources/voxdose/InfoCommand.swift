import ArgumentParser
import Foundation
import Reporting
import VoxelIO

/// `voxdose info FILE`: the header as JSON (`voxdose.info/1`).
struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print a NIfTI header as JSON (voxdose.info/1).",
        discussion: "Only the header is read (the first bytes of a .gz): the voxels are not needed, so a .hdr whose .img is missing still prints.")

    @Argument(help: "A NIfTI-1 or NIfTI-2 image (.nii, .nii.gz, .hdr/.img).", completion: .file())
    var file: String

    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingFailures(common) {
            let image = try NIfTIFile(headerOnly: file)
            FileHandle.standardOutput.write(Data(Self.document(image).serialized().utf8))
        }
    }

    static func document(_ image: NIfTIFile) -> JSONObject {
        let h = image.header
        let spacing = h.spacingMM
        var body: JSONObject = [
            "path": .string(image.path),
            "format": .string(h.format.rawValue),
            "compressed": .bool(image.headerIsCompressed || image.dataIsCompressed),
            "byte_order": .string(h.byteOrder.rawValue),
            "dim": .array(h.dim.map { .int($0) }),
            "datatype": .string(h.datatype.name),
            "datatype_code": .int(h.datatype.rawValue),
            "spacing_mm": .array([spacing.x, spacing.y, spacing.z].map { .number($0) }),
            "affine": .array(h.affineMM.rowMajor.map { .array($0.map { .number($0) }) }),
            "affine_source": .string(h.affineSource.rawValue),
            "qform_code": .int(h.qformCode),
            "sform_code": .int(h.sformCode),
            "scl_slope": .number(h.scaling?.slope),
            "scl_inter": .number(h.scaling?.intercept),
            "description": .string(h.description),
        ]
        body["frames"] = .int(h.frameCount)
        body["vox_offset"] = .int(h.voxOffset)
        body["spatial_unit"] = .string(["unknown (read as mm)", "m", "mm", "micron"][min(h.xyztUnits & 7, 3)])
        if image.dataPath != image.path { body["data_file"] = .string(image.dataPath) }
        return .document(schema: "voxdose.info/1", body)
    }
}
