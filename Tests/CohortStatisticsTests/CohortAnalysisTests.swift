import Foundation
import Testing
@testable import CohortStatistics

private func analyse(_ csv: String, _ options: CohortAnalysis.Options) throws -> CohortAnalysis {
    try CohortAnalysis(table: DataTable(csv: csv, source: "cohort.csv"), options: options)
}

private func failure(_ csv: String, _ options: CohortAnalysis.Options) -> String? {
    do { _ = try analyse(csv, options); return nil } catch { return "\(error)" }
}

@Suite struct CohortAnalysisTests {
    static let table = """
        label,lesion_id,dose,ratio,hypoxic,response,grade
        1,a,120,1.1,false,1,high
        2,b,60,1.5,true,0,low
        3,c,89,1.29,false,1,high
        4,d,95,1.8,true,0,low
        5,e,40,1.0,false,0,low
        6,f,150,NA,true,1,high
        7,g,200,2.0,true,1,high
        8,h,70,1.2,false,0,low
        9,i,88,1.4,true,1,low
        10,j,110,1.7,true,0,high
        """

    @Test func defaultsAndListwiseDeletion() throws {
        let a = try analyse(Self.table, .init(outcome: "response"))
        // label and lesion_id are never default predictors; grade is text.
        #expect(a.predictors.map(\.name) == ["dose", "ratio", "hypoxic"])
        #expect(a.rowsRead == 10 && a.droppedRows == 1 && a.keptRows == 9 && a.positives == 4)
        #expect(a.positive == .number(1))
        #expect(a.predictors.allSatisfy { $0.n == 9 } && a.univariable.count == 3 && a.multivariable != nil)
        // With dose alone row 6 is complete again.
        let dose = try analyse(Self.table, .init(outcome: "response", predictors: ["dose"]))
        #expect(dose.droppedRows == 0 && dose.positives == 5)
        // The boolean predictor enters as 0/1: its ROC is that of the 0/1 values.
        let b = try #require(a.predictors[2].roc)
        let keptHypoxic: [Double] = [0, 1, 0, 1, 0, 1, 0, 1, 1], keptResponse = [true, false, true, false, false, true, false, true, false]
        #expect(b == ROCAnalysis(values: keptHypoxic, positive: keptResponse))
    }

    @Test func outcomeRules() throws {
        // Text outcome: --positive required, compared exactly.
        #expect(failure(Self.table, .init(outcome: "grade", predictors: ["dose"]))?.contains("holds text; give --positive") == true)
        let text = try analyse(Self.table, .init(outcome: "grade", positive: "high", predictors: ["dose"]))
        #expect(text.positives == 5 && text.positive == .text("high"))
        #expect(try analyse(Self.table, .init(outcome: "grade", positive: "HIGH", predictors: ["dose"])).positives == 0)
        // Boolean outcome: true by default, --positive case-insensitive.
        let flag = try analyse(Self.table, .init(outcome: "hypoxic", predictors: ["dose"]))
        #expect(flag.positive == .boolean(true) && flag.positives == 6)
        #expect(try analyse(Self.table, .init(outcome: "hypoxic", positive: "FALSE", predictors: ["dose"])).positives == 4)
        #expect(failure(Self.table, .init(outcome: "hypoxic", positive: "yes", predictors: ["dose"]))?.contains("not true or false") == true)
        // Numeric outcome other than 0/1: --positive required, compared as a number.
        #expect(failure(Self.table, .init(outcome: "label", predictors: ["dose"]))?.contains("numbers other than 0 and 1") == true)
        let numeric = try analyse(Self.table, .init(outcome: "label", positive: "7.0", predictors: ["dose"]))
        #expect(numeric.positives == 1 && numeric.positive == .number(7))
        #expect(failure(Self.table, .init(outcome: "label", positive: "seven", predictors: ["dose"]))?.contains("not a number") == true)
        // --positive 0 flips a 0/1 outcome.
        #expect(try analyse(Self.table, .init(outcome: "response", positive: "0", predictors: ["dose"])).positives == 5)
    }

    @Test func unknownColumnsAndBadPredictors() {
        let unknown = failure(Self.table, .init(outcome: "responder"))
        #expect(unknown?.hasPrefix("cohort.csv: no column \"responder\" (named in --outcome)") == true)
        #expect(failure(Self.table, .init(outcome: "response", predictors: ["dose", "volume"]))?.contains("\"volume\" (named in --predictors)") == true)
        #expect(failure(Self.table, .init(outcome: "response", cutoffs: [("t_bp", 1.29)]))?.contains("\"t_bp\" (named in --cutoffs)") == true)
        #expect(failure(Self.table, .init(outcome: "response", predictors: ["dose"], cutoffs: [("ratio", 1.29)]))?.contains("not a predictor") == true)
        // A text predictor is categorical: indicator terms, no ROC; a cut-off or an interaction on it is refused.
        #expect(failure(Self.table, .init(outcome: "response", predictors: ["grade"])) == nil)
        #expect(failure(Self.table, .init(outcome: "response", predictors: ["grade", "dose"], cutoffs: [("grade", 1)]))?.contains("not a predictor") == true)
        #expect(failure(Self.table, .init(outcome: "response", predictors: ["grade", "dose"], interactions: [("grade", "dose")]))?
            .contains("not a numeric predictor") == true)
        #expect(failure(Self.table, .init(outcome: "response", predictors: ["response"]))?.contains("is the outcome") == true)
        #expect(failure(Self.table, .init(outcome: "response", predictors: ["dose", "dose"]))?.contains("twice") == true)
    }

    @Test func emptyTablesAndNoCompleteRow() {
        #expect(failure("response,dose\n", .init(outcome: "response"))?.contains("no data rows") == true)
        #expect(failure("response,dose\n1,NA\nNA,2\n0,.\n", .init(outcome: "response", predictors: ["dose"]))?.contains("no row is complete") == true)
        #expect(failure("response,dose\nNA,1\n,2\n", .init(outcome: "response"))?.contains("has no values") == true)
    }

    /// An all-missing column has no kind: it is no default predictor (the lesion table's empty
    /// `name` and `dose_eud_gy` columns would otherwise drop every row).
    @Test func emptyColumnsAreNotDefaultPredictors() throws {
        let a = try analyse("label,name,dose,eud,response\n1,,10,,0\n2,,20,,1\n3,,30,,0\n4,,40,,1\n", .init(outcome: "response"))
        #expect(a.predictors.map(\.name) == ["dose"] && a.droppedRows == 0)
    }

    @Test func oneClassOnly() throws {
        let a = try analyse("dose,response\n10,1\n20,1\n30,NA\n", .init(outcome: "response", cutoffs: [("dose", 15)]))
        #expect(a.positives == 2 && a.droppedRows == 1)
        let p = try #require(a.predictors.first)
        #expect(p.roc == nil && p.mannWhitney == nil && p.cutoff == nil && p.cutoffValue == 15)
        #expect(a.univariable.isEmpty && a.multivariable == nil)
        #expect(a.warnings.count == 1 && a.warnings[0].contains("positive"))
        #expect(throws: CohortError.self) { try a.model(source: "cohort.csv") }
    }

    @Test func separationAndSingularWarnings() throws {
        let csv = "a,b,c,response\n1,5,2,0\n2,5,4,0\n3,5,6,1\n4,5,8,1\n2.5,5,3,1\n"
        let a = try analyse(csv, .init(outcome: "response", predictors: ["a", "b", "c"]))
        // a: 0 0 | 1 1 with 2.5 positive between: separated; b constant: singular; c = 2a except row 5.
        #expect(a.univariable[0].separation && a.univariable[1].status == .singular)
        #expect(a.warnings.contains { $0.contains("on a: complete or quasi-complete separation") })
        #expect(a.warnings.contains { $0.contains("on b: the information matrix is singular") })
        #expect(a.warnings.contains { $0.hasPrefix("multivariable logistic regression of response on a, b, c: complete or quasi-complete separation") })
        #expect(throws: CohortError.self) { try a.model(source: "cohort.csv") }
    }
}
