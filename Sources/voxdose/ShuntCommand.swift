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
    @Option(help: "Lung mask (non-zero voxels).", completion: .file()) var lung: String?
    @Option(help: "Perfused-liver mask (non-zero voxels).", completion: .file()) var liver: String?
    @Option(help: "Label image of the SPECT/CT, for --lung-label and --liver-label.", completion: .file()) var labels: String?
    @Option(help: "The lung as label K of --labels (instead of --lung).") var lungLabel: Int64?
    @Option(help: "The perfused liver as label K of --labels (instead of --liver).") var liverLabel: Int64?
    @Flag(help: "Map masks on another grid to the SPECT grid (nearest neighbour).") var resampleLabels = false
    @Option(help: "Frame of a 4-D SPECT (0-based).") var frame: Int?
    @Option(help: "Write the JSON here instead of stdout (- for stdout).", completion: .file()) var out: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let frame, frame < 0 { throw ValidationError("--frame must be 0 or more") }
        for (organ, mask, label) in [("lung", lung, lungLabel), ("liver", liver, liverLabel)] {
            if (mask == nil) == (label == nil) { throw ValidationError("give the \(organ) as --\(organ) MASK or as --\(organ)-label K (with --labels), one of them") }
            if let label, label <= 0 { throw ValidationError("--\(organ)-label must be a positive label") }
        }
        if (lungLabel != nil || liverLabel != nil) && labels == nil { throw ValidationError("--lung-label and --liver-label need --labels") }
        if labels != nil && lungLabel == nil && liverLabel == nil { throw ValidationError("--labels applies to --lung-label and --liver-label: give one") }
        if let lungLabel, lungLabel == liverLabel { throw ValidationError("--lung-label and --liver-label must differ") }
    }

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out], inputs: [spect, lung, liver, labels])
            let volume = try Inputs.read(spect, frame: frame, workingSet: 3, expecting: .pet).volume
            let grid = volume.geometry
            let labelImage = try labels.map { try Inputs.labels($0, onto: grid, gridOf: spect, resample: resampleLabels).image }
            let labelRegions = labelImage.map { LabelRegions($0.codes) }
            /// An organ's voxels on the SPECT grid, from its mask or its label; the source named in errors.
            func organ(_ path: String?, _ label: Int64?, _ name: String) throws -> (voxels: ArraySlice<Int>, source: String) {
                let voxels: ArraySlice<Int>, source: String
                if let path {
                    voxels = LabelRegions(try Inputs.labels(path, onto: grid, gridOf: spect, resample: resampleLabels, asMask: true).image.codes).allVoxels
                    source = path
                } else {
                    voxels = labelImage!.voxels(ofLabel: label!, in: labelRegions!)
                    source = "\(labels!) (label \(label!))"
                }
                guard !voxels.isEmpty else { throw CommandFailure("\(source): the \(name) holds no voxel on the SPECT grid of \(spect)") }
                return (voxels, source)
            }
            let (lungVoxels, lungSource) = try organ(lung, lungLabel, "lung")
            let (liverVoxels, liverSource) = try organ(liver, liverLabel, "liver")
            let shared = Set(lungVoxels).intersection(liverVoxels).count
            guard shared == 0 else {
                throw CommandFailure("\(lungSource): the lung and the liver \(liverSource) share \(shared) voxels on the SPECT grid; a voxel's counts can belong to one organ only")
            }
            let result = LungShunt.compute(values: volume.voxels, lung: lungVoxels, liver: liverVoxels)
            guard result.fraction.isFinite else {
                throw CommandFailure("\(spect): the lung and liver masks hold \(result.lungCounts + result.liverCounts) counts in all; the shunt needs positive counts")
            }
            let body: JSONObject = [
                "spect": .string(spect), "lung_mask": .string(lung), "liver_mask": .string(liver),
                "lung_label": .int(lungLabel.map(Int.init)), "liver_label": .int(liverLabel.map(Int.init)),
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
