import CohortStatistics
import Foundation
import VoxelIO

/// A batch's manifest: one patient per row, `patient_id` and `study` (a study file, relative to
/// the manifest), and any other columns, carried into the cohort table (Docs/BATCH.md).
public struct Manifest: Sendable {
    public struct Row: Sendable {
        /// The row's line in the file (for messages).
        public var line: Int
        public var patientID: String
        /// The study file as the manifest writes it, and as a path from the working folder.
        public var study: String
        public var studyPath: String
        /// The manifest's other columns, in its order.
        public var extra: [String]
    }

    public var path: String
    /// The columns other than `patient_id` and `study`, in the manifest's order.
    public var extraColumns: [String]
    public var rows: [Row]

    /// Reads and checks the manifest before any case runs.
    /// - Throws: ``VoxelIOError`` naming the manifest (and the row): no `patient_id` or `study`
    ///   column, an id with other characters than a study allows, a duplicate id, a study file
    ///   that does not exist.
    public init(path: String) throws {
        self.path = path
        let table: DataTable
        do { table = try DataTable.read(path: path) } catch { throw VoxelIOError(path, "\(error)") }
        guard let idColumn = table.columnIndex("patient_id"), let studyColumn = table.columnIndex("study") else {
            throw VoxelIOError(path, "a manifest needs the columns patient_id and study (it has \(table.columns.joined(separator: ", ")))")
        }
        let folder = (path as NSString).deletingLastPathComponent
        let others = table.columns.indices.filter { $0 != idColumn && $0 != studyColumn }
        extraColumns = others.map { table.columns[$0] }
        var seen: [String: Int] = [:]
        rows = try table.rows.enumerated().map { index, cells in
            let line = index + 2
            let id = cells[idColumn], study = cells[studyColumn]
            guard Study.isValidPatientID(id) else {
                throw VoxelIOError(path, "row \(line): patient_id \"\(id)\" must be 1–64 of A-Z a-z 0-9 . _ - and not start with .")
            }
            if let first = seen[id] { throw VoxelIOError(path, "row \(line): patient_id \(id) repeats row \(first)") }
            seen[id] = line
            guard !study.isEmpty else { throw VoxelIOError(path, "row \(line) (\(id)): study is empty") }
            let studyPath = study.hasPrefix("/") || folder.isEmpty ? study : folder + "/" + study
            guard FileManager.default.fileExists(atPath: studyPath) else {
                throw VoxelIOError(path, "row \(line) (\(id)): the study file \(study) does not exist (paths are relative to the manifest)")
            }
            // A study that names another patient is the wrong file for this row (a study that does
            // not parse is left to its case, which records why).
            if let named = try? Study(path: studyPath), named.patientID != id {
                throw VoxelIOError(path, "row \(line): the study \(study) is patient \(named.patientID), not \(id)")
            }
            return Row(line: line, patientID: id, study: study, studyPath: studyPath, extra: others.map { cells[$0] })
        }
    }
}
