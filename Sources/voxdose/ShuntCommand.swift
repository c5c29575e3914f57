import ArgumentParser
import Dosimetry
import Foundation
import Reporting
import VoxelIO
import VoxelKernels

/// `voxdose shunt SPECT --lung L --liver V`: the lung shunt fraction from a 99mTc-MAA SPECT/CT
/// (`voxdose.shunt/1`, CONTRACT.md "Pre-treatment: 99mTc-MAA SPECT/CT").
struct Shunt: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Lung shunt fraction from a 99mTc-MAA SPECT/CT and lung and liver masks (voxdose.shunt/1).",
        discussion: "LSF = lung counts / (lung + liver counts), sums of the SPECT voxels inside each mask on the SPECT grid.")

    @Argument(help: "The MAA SPECT (counts or Bq/mL).", completion: .file()) var spect: String
    @Option(help: "Lung mask (non-zero voxels).", completion: .file()) var lung: String
    @Option(help: "Perfused-liver mask (non-zero voxels).", completion: .file()) var liver: String
    @Flag(help: "Map masks on another grid to the SPECT grid (nearest neighbour).") var resampleLabels = false
    @Option(help: "Frame of a 4-D SPECT (0-based).") var frame: Int?
    @Option(help: "Write the JSON here instead of stdout (- for stdout).", completion: .file()) var out: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let frame, frame < 0 { throw ValidationError("--frame must be 0 or more") }
    }

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out], inputs: [spect, lung, liver])
            let volume = try Inputs.read(spect, frame: frame, workingSet: 3, expecting: .pet).volume
            let grid = volume.geometry
            func mask(_ path: String, _ name: String) throws -> ArraySlice<Int> {
                let voxels = LabelRegions(try Inputs.labels(path, onto: grid, gridOf: spect, resample: resampleLabels, asMask: true).image.codes).allVoxels
                guard !voxels.isEmpty else { throw CommandFailure("\(path): the \(name) mask holds no voxel on the SPECT grid of \(spect)") }
                return voxels
            }
            let lungVoxels = try mask(lung, "lung"), liverVoxels = try mask(liver, "liver")
            let shared = Set(lungVoxels).intersection(liverVoxels).count
            guard shared == 0 else {
                throw CommandFailure("\(lung): the lung mask and the liver mask \(liver) share \(shared) voxels on the SPECT grid; a voxel's counts can belong to one organ only")
            }
            let result = LungShunt.compute(values: volume.voxels, lung: lungVoxels, liver: liverVoxels)
            guard result.fraction.isFinite else {
                throw CommandFailure("\(spect): the lung and liver masks hold \(result.lungCounts + result.liverCounts) counts in all; the shunt needs positive counts")
            }
            let body: JSONObject = [
                "spect": .string(spect), "lung_mask": .string(lung), "liver_mask": .string(liver),
                "lung_counts": .number(result.lungCounts), "liver_counts": .number(result.liverCounts),
                "lung_shunt_fraction": .number(result.fraction),
                "lung_volume_ml": .number(Double(lungVoxels.count) * grid.voxelVolumeML),
                "liver_volume_ml": .number(Double(liverVoxels.count) * grid.voxelVolumeML),
                "warnings": try RunWarnings.report(),
            ]
            try outputs.finish(with: JSONObject.document(schema: "voxdose.shunt/1", body).serialized(), to: out)
        }
    }
}
