import ArgumentParser
import Reporting
import VoxelKernels

/// `voxdose`: the command-line shell over the VoxDose libraries (Docs/CLI.md).
@main
struct VoxDose: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "voxdose",
        abstract: "Voxel dosimetry and PET quantification for 90Y radioembolization.",
        discussion: "Exit status: 0 success, 1 bad input or failed computation, 64 bad usage.",
        version: voxdoseVersion,
        subcommands: [Info.self, Stats.self, Dose.self, Suv.self, Lesions.self, Plan.self, Response.self, Cohort.self, Shunt.self, Compare.self, Case.self, Report.self, Batch.self, Collect.self]
    )

    static func main() {
        FreshMemory.reuseFreedMemory()
        main(nil)
    }
}
