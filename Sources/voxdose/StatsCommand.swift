import ArgumentParser
import Reporting
import VOIStatistics
import VoxelIO
import VoxelKernels

/// `voxdose stats IMAGE`: voxel statistics of the scaled values, per label or whole volume.
struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Voxel statistics of an image, whole or per label (voxdose.stats/1).")

    @Argument(help: "The image (values are slope·raw + inter).", completion: .file())
    var image: String

    @Option(help: "Integer label image: one region per distinct non-zero label.", completion: .file())
    var labels: String?

    @Option(help: "Frame of a 4-D image (0-based).")
    var frame: Int?

    @Option(help: ArgumentHelp("Percentiles, comma-separated, in [0, 100] (numpy linear).", valueName: "list"))
    var percentiles: PercentileList = .standard

    @Flag(help: "Map a label image on another grid to the image grid (nearest neighbour, world coordinates).")
    var resampleLabels = false

    @Option(help: "Output format.")
    var format: OutputFormat = .json

    @Option(help: "Write the output to FILE instead of stdout.", completion: .file())
    var out: String?

    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let frame, frame < 0 { throw ValidationError("--frame must be 0 or more") }
    }

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out], inputs: [image, labels])
            common.progress("reading \(image)")
            let (_, volume) = try Inputs.read(image, frame: frame, workingSet: 3, expecting: .any)
            let grid = volume.geometry
            let labelImage = try labels.map {
                try Inputs.labels($0, onto: grid, gridOf: image, resample: resampleLabels).image
            }
            let regions = RegionStatisticsCalculator.compute(
                values: (consume volume).voxels, labels: labelImage?.codes, voxelVolumeML: grid.voxelVolumeML,
                percentiles: percentiles.entries.map(\.value))
            let rows = regions.map { row($0, labelOf: { labelImage!.label(ofCode: $0) }) }
            let warnings = try RunWarnings.report()
            let text: String
            switch format {
            case .json:
                text = JSONObject.document(schema: "voxdose.stats/1", [
                    "image": .string(image),
                    "labels": .string(labels),
                    "frame": .int(frame),
                    "regions": .array(rows.map { .object($0) }),
                    "warnings": warnings,
                ]).serialized()
            case .csv:
                text = CSV.table(rows)
            }
            try outputs.finish(with: text, to: out)
        }
    }

    private func row(_ r: RegionStatistics, labelOf: (Int32) -> Int64) -> JSONObject {
        var quantiles = JSONObject()
        for (entry, value) in zip(percentiles.entries, r.percentiles) { quantiles[entry.key] = .number(value) }
        let empty = r.voxels == 0
        return [
            "label": .int(r.label.map { Int(labelOf($0)) }),
            "name": .null,
            "voxels": .int(r.voxels),
            "volume_ml": .number(r.volumeML),
            "sum": .number(r.sum),
            "mean": .number(r.mean),
            "std": .number(r.std),
            "min": empty ? .null : .float(Float(r.min)),
            "max": empty ? .null : .float(Float(r.max)),
            "median": .number(r.median),
            "percentiles": .object(quantiles),
            "nan_voxels": .int(r.nanVoxels),
        ]
    }
}
