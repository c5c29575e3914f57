/// What `voxdose cohort` computes from a lesion table (Docs/COHORT.md): the outcome rules,
/// listwise deletion, per-predictor ROC, Mann–Whitney and cut-off tables, and univariable and
/// multivariable logistic fits, with warnings.
public struct CohortAnalysis: Sendable {
    public struct Options: Sendable {
        /// The outcome column.
        public var outcome: String
        /// The cell value counted as positive, as written (nil: the column kind's default).
        public var positive: String?
        /// Predictor columns (nil: every numeric or boolean column but the outcome, `label`,
        /// `id` and names ending in `_id`, in column order).
        public var predictors: [String]?
        /// Cut-offs by predictor name, in the order given.
        public var cutoffs: [(name: String, value: Double)]
        /// The column whose value groups rows that are not independent (`patient_id`: lesions of
        /// one patient): cluster-robust fits and Obuchowski's clustered AUC interval.
        public var cluster: String?
        /// Product terms `a:b` of two numeric predictors, added to the multivariable fit.
        public var interactions: [(String, String)]

        /// Options as the command line gives them.
        public init(outcome: String, positive: String? = nil, predictors: [String]? = nil,
                    cutoffs: [(name: String, value: Double)] = [], cluster: String? = nil,
                    interactions: [(String, String)] = []) {
            self.outcome = outcome
            self.positive = positive
            self.predictors = predictors
            self.cutoffs = cutoffs
            self.cluster = cluster
            self.interactions = interactions
        }
    }

    /// A predictor split at a cut-off.
    public struct Cutoff: Sendable {
        public var value: Double
        public var table: TwoByTwoTable
    }

    /// The per-predictor figures. ROC, test and table are nil when the kept rows lack a class.
    public struct Predictor: Sendable {
        public var name: String
        public var n: Int
        public var roc: ROCAnalysis?
        public var mannWhitney: MannWhitneyTest?
        /// Present when a cut-off was given for this predictor.
        public var cutoffValue: Double?
        public var cutoff: Cutoff?
    }

    /// Data rows read.
    public var rowsRead: Int
    /// Rows dropped for a missing value in the outcome or a predictor.
    public var droppedRows: Int
    /// Kept rows whose outcome is positive.
    public var positives: Int
    public var keptRows: Int { rowsRead - droppedRows }
    public var outcome: String
    public var positive: OutcomeValue
    public var warnings: [String] = []
    public var predictors: [Predictor] = []
    /// One fit per predictor, in predictor order (categorical ones included); empty when the
    /// kept rows lack a class.
    public var univariable: [LogisticFit] = []
    /// Every predictor's name, in order (``predictors`` lacks the categorical ones: no ROC).
    public var predictorNames: [String] = []
    /// One fit of all predictors; nil when the kept rows lack a class.
    public var multivariable: LogisticFit?
    /// With ``Options/cluster``: the column and the number of clusters among the kept rows.
    public var cluster: String?
    public var clusterCount: Int?

    /// Runs the analysis; throws ``CohortError`` (naming the table's source) for an unknown
    /// column, a predictor that is not numeric or boolean, a cut-off on a column that is not a
    /// predictor, an outcome that needs `--positive` or whose `--positive` cannot match its
    /// kind, an empty table, and a table with no complete row.
    public init(table: DataTable, options: Options) throws {
        let source = table.source
        guard !table.rows.isEmpty else { throw CohortError("\(source): the table has a header but no data rows") }
        func column(_ name: String, option: String) throws -> Int {
            guard let index = table.columnIndex(name) else {
                throw CohortError("\(source): no column \"\(name)\" (named in \(option)); the columns are \(table.columns.joined(separator: ", "))")
            }
            return index
        }

        // Outcome and its positive value.
        let outcomeIndex = try column(options.outcome, option: "--outcome")
        outcome = options.outcome
        let outcomeCells = table.cells(ofColumn: outcomeIndex)
        let isPositive: (String) -> Bool
        switch table.kind(ofColumn: outcomeIndex) {
        case .empty:
            throw CohortError("\(source): the outcome column \"\(outcome)\" has no values (every cell is missing)")
        case .numeric:
            let values = Set(outcomeCells.filter { !DataTable.isMissing($0) }.compactMap(DataTable.number))
            let target: Double
            if let written = options.positive {
                guard let number = DataTable.number(written) else {
                    throw CohortError("\(source): --positive \(written) is not a number, but the outcome column \"\(outcome)\" is numeric")
                }
                target = number
            } else {
                guard values.isSubset(of: [0, 1]) else {
                    throw CohortError("\(source): the outcome column \"\(outcome)\" holds numbers other than 0 and 1; "
                        + "give --positive VALUE to say which value is positive")
                }
                target = 1
            }
            positive = .number(target)
            isPositive = { DataTable.number($0) == target }
        case .boolean:
            let target: Bool
            if let written = options.positive {
                guard let flag = DataTable.boolean(written) else {
                    throw CohortError("\(source): --positive \(written) is not true or false, but the outcome column \"\(outcome)\" is boolean")
                }
                target = flag
            } else {
                target = true
            }
            positive = .boolean(target)
            isPositive = { DataTable.boolean($0) == target }
        case .text:
            guard let written = options.positive else {
                throw CohortError("\(source): the outcome column \"\(outcome)\" holds text; give --positive VALUE to say which value is positive")
            }
            positive = .text(written)
            isPositive = { $0 == written }
        }

        // Predictors.
        var predictorIndices: [Int] = []
        if let names = options.predictors {
            for name in names {
                let index = try column(name, option: "--predictors")
                guard name != outcome else { throw CohortError("\(source): \"\(name)\" is the outcome; it cannot be a predictor too") }
                guard !predictorIndices.contains(index) else { throw CohortError("\(source): --predictors names \"\(name)\" twice") }
                guard name != LogisticRegression.interceptName else {
                    throw CohortError("\(source): a predictor cannot be named \"intercept\" (the name of the constant term)")
                }
                let kind = table.kind(ofColumn: index)
                guard kind != .empty else {
                    throw CohortError("\(source): the column \"\(name)\" is empty (every cell is missing); predictors need values")
                }
                predictorIndices.append(index)
            }
        } else {
            for (index, name) in table.columns.enumerated() where index != outcomeIndex {
                guard name != "label", name != "id", !name.hasSuffix("_id") else { continue }
                let kind = table.kind(ofColumn: index)
                guard kind == .numeric || kind == .boolean else { continue }
                if name == LogisticRegression.interceptName {
                    warnings.append("the column \"intercept\" is not used as a predictor (the name of the constant term); name it with --predictors under another name")
                    continue
                }
                predictorIndices.append(index)
            }
        }
        let predictorNames = predictorIndices.map { table.columns[$0] }
        self.predictorNames = predictorNames
        let categorical = Set(predictorIndices.filter { table.kind(ofColumn: $0) == .text }.map { table.columns[$0] })

        // Interactions: products of two numeric predictors.
        for (a, b) in options.interactions {
            for name in [a, b] {
                _ = try column(name, option: "--interaction")
                guard predictorNames.contains(name), !categorical.contains(name) else {
                    throw CohortError("\(source): --interaction \(a):\(b) names \"\(name)\", which is not a numeric predictor "
                        + "(predictors: \(predictorNames.joined(separator: ", ")))")
                }
            }
        }

        // Cut-offs.
        var cutoffs: [String: Double] = [:]
        for (name, value) in options.cutoffs {
            _ = try column(name, option: "--cutoffs")
            guard predictorNames.contains(name), !categorical.contains(name) else {
                throw CohortError("\(source): --cutoffs names \"\(name)\", which is not a predictor (predictors: "
                    + "\(predictorNames.isEmpty ? "none" : predictorNames.joined(separator: ", ")))")
            }
            cutoffs[name] = value
        }

        // Listwise deletion.
        func value(_ cell: String) -> Double {
            DataTable.number(cell) ?? (DataTable.boolean(cell) == true ? 1 : 0)
        }
        let clusterIndex = try options.cluster.map { try column($0, option: "--cluster") }
        let used = [outcomeIndex] + predictorIndices + (clusterIndex.map { [$0] } ?? [])
        let kept = table.rows.filter { row in !used.contains { DataTable.isMissing(row[$0]) } }
        rowsRead = table.rows.count
        droppedRows = rowsRead - kept.count
        guard !kept.isEmpty else {
            throw CohortError("\(source): no row is complete: each of the \(rowsRead) rows has a missing value in the outcome "
                + "or a predictor (\(([outcome] + predictorNames).joined(separator: ", ")))")
        }
        let y = kept.map { isPositive($0[outcomeIndex]) }
        positives = y.filter { $0 }.count
        // Cluster ids: the cluster column's cells as written, numbered in order of appearance.
        var clusters: [Int]?
        if let clusterIndex {
            var ids: [String: Int] = [:]
            clusters = kept.map { row in
                let cell = row[clusterIndex]
                if let id = ids[cell] { return id }
                ids[cell] = ids.count
                return ids.count - 1
            }
            cluster = options.cluster
            clusterCount = ids.count
        }
        // Numeric and boolean predictors as numbers; a categorical one as indicator terms
        // `COLUMN=LEVEL` for every level but the first in code-point order (its reference).
        var terms: [String: [(name: String, values: [Double])]] = [:]
        var referenceLevel: [String: String] = [:]
        for (name, index) in zip(predictorNames, predictorIndices) {
            if categorical.contains(name) {
                let cells = kept.map { $0[index] }
                let levels = Set(cells).sorted { $0.unicodeScalars.lexicographicallyPrecedes($1.unicodeScalars) }
                referenceLevel[name] = levels.first
                terms[name] = levels.dropFirst().map { level in ("\(name)=\(level)", cells.map { $0 == level ? 1 : 0 }) }
            } else {
                terms[name] = [(name, kept.map { value($0[index]) })]
            }
        }
        let bothClasses = positives > 0 && positives < kept.count

        if !bothClasses {
            warnings.append("all \(kept.count) kept rows are \(positives == 0 ? "negative" : "positive") (positive: \(outcome) = \(positive)): "
                + "no ROC, tests or logistic fits")
        } else if let clusters {
            let positiveClusters = Set(zip(clusters, y).filter { $0.1 }.map(\.0)).count
            let negativeClusters = Set(zip(clusters, y).filter { !$0.1 }.map(\.0)).count
            if positiveClusters < 2 || negativeClusters < 2 {
                warnings.append("auc_ci95 is null: the \(positiveClusters < 2 ? "positive" : "negative") rows all lie in one \(options.cluster!) "
                    + "cluster; Obuchowski's clustered interval needs them in at least 2")
            }
        } else if positives < 2 || kept.count - positives < 2 {
            warnings.append("auc_ci95 is null: DeLong's interval needs at least 2 positive and 2 negative rows")
        }

        for name in predictorNames where !categorical.contains(name) {
            let values = terms[name]![0].values
            var predictor = Predictor(name: name, n: kept.count, cutoffValue: cutoffs[name])
            if bothClasses {
                predictor.roc = ROCAnalysis(values: values, positive: y, clusters: clusters)
                predictor.mannWhitney = MannWhitneyTest(values: values, positive: y)
                if predictor.mannWhitney?.p == nil {
                    warnings.append("\(name): every kept row has the same value; mann_whitney_p is null")
                }
                if let cutoff = cutoffs[name] {
                    let table = TwoByTwoTable(values: values, positive: y, cutoff: cutoff)
                    predictor.cutoff = Cutoff(value: cutoff, table: table)
                    if table.chiSquared == nil {
                        let side = table.abovePositive + table.aboveNegative == 0 ? "no kept row is above" : "every kept row is above"
                        warnings.append("\(name) at the cut-off \(cutoff): \(side) it; chi2, chi2_p and chi2_yates_p are null")
                    }
                }
            }
            predictors.append(predictor)
        }

        guard bothClasses else { return }
        func levels(_ names: [String]) -> [(column: String, level: String)] {
            names.compactMap { name in referenceLevel[name].map { (name, $0) } }
        }
        for name in predictorNames {
            var fit = LogisticRegression.fit(predictors: terms[name]!, outcome: y, clusters: clusters)
            fit.referenceLevels = levels([name])
            if let warning = Self.warning(for: fit, description: "univariable logistic regression of \(outcome) on \(name)") {
                warnings.append(warning)
            }
            univariable.append(fit)
        }
        let products = options.interactions.map { a, b in ("\(a):\(b)", zip(terms[a]![0].values, terms[b]![0].values).map { $0 * $1 }) }
        var fit = LogisticRegression.fit(predictors: predictorNames.flatMap { terms[$0]! } + products, outcome: y, clusters: clusters)
        fit.referenceLevels = levels(predictorNames)
        let on = predictorNames.isEmpty ? "the intercept alone" : (predictorNames + products.map(\.0)).joined(separator: ", ")
        if let warning = Self.warning(for: fit, description: "multivariable logistic regression of \(outcome) on \(on)") {
            warnings.append(warning)
        }
        multivariable = fit
    }

    private static func warning(for fit: LogisticFit, description: String) -> String? {
        switch fit.status {
        case .converged: return nil
        case .separated:
            return "\(description): complete or quasi-complete separation; the maximum likelihood estimate does not exist (terms null)"
        case .singular:
            return "\(description): the information matrix is singular (a constant predictor or collinear predictors); terms null"
        case .notConverged:
            return "\(description): Newton–Raphson did not converge in \(fit.iterations) iterations; the terms are the last estimate"
        }
    }

    /// The multivariable fit as a response model for `voxdose plan --model`; throws when there is
    /// no converged fit to write.
    public func model(source: String) throws -> LogisticModel {
        guard let fit = multivariable else {
            throw CohortError("\(source): there is no multivariable fit (the kept rows are all \(positives == 0 ? "negative" : "positive"))")
        }
        let on = fit.termNames.dropFirst().joined(separator: ", ")
        switch fit.status {
        case .separated:
            throw CohortError("\(source): the multivariable fit of \(outcome) on \(on) is separated; there is no model to write")
        case .singular:
            throw CohortError("\(source): the multivariable fit of \(outcome) on \(on) has a singular information matrix; there is no model to write")
        case .notConverged:
            throw CohortError("\(source): the multivariable fit of \(outcome) on \(on) did not converge; there is no model to write")
        case .converged:
            guard let model = fit.model(outcome: outcome, positive: positive, source: source) else {
                throw CohortError("\(source): the multivariable fit has no finite estimate; there is no model to write")
            }
            return model
        }
    }
}
