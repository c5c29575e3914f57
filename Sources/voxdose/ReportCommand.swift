import ArgumentParser
import CaseReport
import Foundation
import VoxelIO

/// `voxdose report CASE_DIR [--out FILE]`: the self-contained HTML page of a case (Docs/REPORT.md).
/// Reading and rendering are CaseReport's; this is the shell.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The report of a case folder: one self-contained HTML page (tables, DVH, dose × hypoxia, lesion slices, plan, provenance).",
        discussion: "Nothing in it is fetched from elsewhere; it reads the same with scripts off and prints on A4.")

    @Argument(help: "A complete case folder (from voxdose case).", completion: .directory) var caseFolder: String
    @Option(help: "The HTML file (default CASE_DIR/report.html).", completion: .file()) var out: String?
    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingFailures(common) {
            let folder = caseFolder.hasSuffix("/") ? caseFolder : caseFolder + "/"
            let path = out ?? folder + "report.html"
            // The case's own files are inputs: --out may not name one of them.
            let caseFiles = ((try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []).filter { $0 != "report.html" }.map { folder + $0 }
            let outputs = try OutputFiles([path], inputs: caseFiles)
            common.progress("reading the case in \(caseFolder)")
            let page = ReportPage.html(try CaseFolder.content(caseFolder))
            try outputs.stage(text: page, to: path)
            try outputs.commit()
        }
    }
}
