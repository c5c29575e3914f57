import Dosimetry
import Foundation
import PETQuant
import PatientStages
import Planning
import Reporting
import Testing
import VoxelIO
import VoxelKernels

/// The stages as library calls on typed values (no files): a lesion table computed from maps whose
/// metrics are known in closed form, and the plan made from that table value.
@Suite struct PatientStagesTests {
    /// 20 × 20 × 10 voxels of 2 × 2 × 2.5 mm (0.01 mL). Labels: lesion 5 a 4³ cube whose first 32
    /// voxels get 60 Gy and the other 32 120 Gy, SUV 2; lesion 6 a 3³ cube at 50 Gy, SUV 1.1;
    /// normal liver (1) at 20 Gy; muscle (7) SUV 0.5; blood pool (8) SUV 1.
    static func scene() -> (dose: LesionTable.LabelledMap, suv: LesionTable.LabelledMap) {
        let dims = SIMD3(20, 20, 10)
        let grid = GridGeometry(dimensions: dims, spacingMM: SIMD3(2, 2, 2.5), affine: .scaling(SIMD3(2, 2, 2.5)))
        var labels = [Int32](repeating: 0, count: dims.x * dims.y * dims.z)
        var dose = [Float](repeating: 0, count: labels.count), suv = [Float](repeating: 0.3, count: labels.count)
        func fill(_ range: (ClosedRange<Int>, ClosedRange<Int>, ClosedRange<Int>), label: Int32, _ body: (Int, Int) -> (Float, Float)) {
            var n = 0
            for k in range.2 { for j in range.1 { for i in range.0 {
                let index = i + dims.x * (j + dims.y * k)
                labels[index] = label
                (dose[index], suv[index]) = body(index, n)
                n += 1
            } } }
        }
        fill((0...19, 0...19, 0...1), label: 1) { _, _ in (20, 0.9) }
        fill((2...5, 2...5, 3...6), label: 5) { _, n in (n < 32 ? 60 : 120, 2) }
        fill((10...12, 10...12, 3...5), label: 6) { _, _ in (50, 1.1) }
        fill((15...18, 2...4, 7...9), label: 7) { _, _ in (0, 0.5) }
        fill((2...4, 15...18, 7...9), label: 8) { _, _ in (0, 1) }
        let image = LabelImage(labels: labels)
        let regions = LabelRegions(labels)
        let excluded: Set<Int32> = [1, 7, 8]
        return (LesionTable.LabelledMap(volume: ScalarVolume(geometry: grid, voxels: dose), labels: image, regions: regions,
                                        excluded: excluded, source: "dose"),
                LesionTable.LabelledMap(volume: ScalarVolume(geometry: grid, voxels: suv), labels: image, regions: regions,
                                        excluded: excluded, source: "suv"))
    }

    static func table() throws -> LesionTable {
        let (dose, suv) = scene()
        var input = LesionTable.Input()
        input.dose = dose
        input.suv = suv
        input.normalLiver = .init(voxels: dose.labels.voxels(ofLabel: 1, in: dose.regions), source: "labels")
        input.muscle = .init(voxels: suv.labels.voxels(ofLabel: 7, in: suv.regions), source: "labels")
        input.bloodPool = .init(voxels: suv.labels.voxels(ofLabel: 8, in: suv.regions), source: "labels")
        input.patientID = "P-7"
        input.names = [5: "segment 8"]
        input.dvh = true
        input.parameters.activityGBq = 1.5
        let (table, warnings) = try LesionTable.make(input)
        #expect(warnings.isEmpty)
        return table
    }

    @Test func lesionTableOfKnownMaps() throws {
        let table = try Self.table()
        #expect(table.rows.map(\.label) == [5, 6])
        let (big, small) = (table.rows[0], table.rows[1])
        #expect(big.name == "segment 8" && big.voxels == 64 && abs(big.volumeML - 0.64) < 1e-12)
        #expect(big.doseMeanGy == 90 && big.dose?.medianGy == 90 && big.dose?.maxGy == 120 && big.dose?.minGy == 60)
        // Vx: the % of voxels at or above x: 50 % of lesion 5 reaches 89, 100, 120 Gy; none 205 Gy.
        #expect(big.dose?.vPct == [100, 50, 50, 50, 0])
        #expect(small.doseMeanGy == 50 && small.dose?.vPct == [100, 0, 0, 0, 0])
        #expect(table.references.normalLiverDoseMeanGy == 20 && table.references.bloodPoolSUVMean == 1
                && table.references.muscleSUVMean == 0.5)
        // T/BP and T/M of SUVmax; hypoxic voxels: SUV above 1.2 × the blood pool's mean.
        let u = try #require(big.uptake)
        #expect(u.max == 2 && u.tBP == 2 && u.tM == 4 && u.hypoxic == true && abs(u.hypoxicVolumeML! - 0.64) < 1e-12 && u.hypoxicFraction == 1)
        let v = try #require(small.uptake)
        #expect(abs(v.tBP! - 1.1) < 1e-6 && v.hypoxic == false && v.hypoxicVolumeML == 0)
        // The DVH: 100 % up to 60 Gy, 50 % from above 60 to 120 Gy, 0 beyond.
        let curve = try #require(table.dvh[5])
        #expect(curve.first { $0.doseGy == 60 }?.volumePct == 100 && curve.first { $0.doseGy == 61 }?.volumePct == 50
                && curve.first { $0.doseGy == 120 }?.volumePct == 50)
        #expect(table.normalLiverDVH.first { $0.doseGy == 20 }?.volumePct == 100)
    }

    /// The document, CSV and DVH are written from the value: every row carries the patient id,
    /// and the table read back for the plan is the table value itself.
    @Test func documentsAreWrittenFromTheValue() throws {
        let table = try Self.table()
        let text = table.document(warnings: .array([])).serialized()
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let rows = try #require(json["lesions"] as? [[String: Any]])
        #expect(json["schema"] as? String == "voxdose.lesions/1" && rows.allSatisfy { $0["patient_id"] as? String == "P-7" })
        #expect(table.csv.hasPrefix("patient_id,label,name,voxels,volume_ml,dose_nan_voxels,dose_mean_gy,"))
        #expect(table.dvhCSV.split(separator: "\n").last?.hasPrefix("normal_liver,") == true)

        let file = FileManager.default.temporaryDirectory.appendingPathComponent("stages-\(getpid()).json")
        try text.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let fromFile = try PlanTable.read(file.path), fromValue = PlanTable(table)
        #expect(fromFile.lesions.map(\.label) == fromValue.lesions.map(\.label))
        #expect(fromFile.lesions.map(\.terms) == fromValue.lesions.map(\.terms))
        #expect(fromFile.lesions.map(\.texts) == fromValue.lesions.map(\.texts))
        #expect(fromFile.activityGBq == fromValue.activityGBq && fromFile.normalLiverDoseGy == fromValue.normalLiverDoseGy)
    }

    /// The plan of the table value: groups by the cut-offs, the dose needed reaching the target
    /// response, and a prescription within the normal-liver limit, doses scaling as D·A·(1 − F)/A0.
    @Test func planOfTheTableValue() throws {
        var request = TreatmentPlan.Request()
        request.table = PlanTable(try Self.table())
        request.prescribe = true
        request.limits = TreatmentLimits(lungShuntFraction: 0.05, normalLiverLimitGy: 40)
        let plan = try TreatmentPlan.make(request)
        #expect(plan.lesions.map(\.group) == [.hypoxicHighDose, .nonhypoxicLowDose])
        for lesion in plan.lesions {
            let needed = try #require(lesion.doseNeededGy)
            var terms = lesion.terms
            terms[ResponseModel.doseTerm] = needed
            #expect(abs(try #require(request.model.predict(terms)).probability - 0.8) < 1e-9)
        }
        let rx = try #require(plan.prescription)
        let a = try #require(rx.activityGBq)
        #expect(try #require(rx.normalLiverDoseGy) <= 40 + 1e-9)
        #expect(abs(rx.normalLiverDoseGy! - 20 * a * 0.95 / 1.5) < 1e-9)
        if rx.binding == .normalLiver { #expect(abs(a - 40 * 1.5 / (20 * 0.95)) < 1e-9) }
        #expect(zip(rx.lesions, [90.0, 50.0]).allSatisfy { abs($0.0.doseGy! - $0.1 * a * 0.95 / 1.5) < 1e-9 })
    }

    /// LDM of a uniform 90Y concentration: D = C · K / ρ (K 49.67 J/GBq, ρ 1.05 g/mL), i.e. 1 MBq/mL
    /// gives 47.305 Gy; the activity is Σ C · V; per-label statistics on the map.
    @Test func doseStageOfAUniformImage() throws {
        let (dose, _) = Self.scene()
        var request = DoseStage.Request(source: try DoseImageSource(nil, unitsGiven: false))
        request.regions = dose.labels
        let concentrations = [Float](repeating: 1e6, count: dose.volume.voxels.count)
        let (map, summary) = DoseStage.run(concentrations: concentrations, geometry: dose.volume.geometry, request)
        let expected = 1e6 * 49.67e-9 / 1.05e-3
        #expect(map.allSatisfy { abs(Double($0) - expected) < 1e-4 })
        #expect(abs(summary.totalActivityGBq - 1e6 * 4000 * 0.01 * 1e-9) < 1e-12 && !summary.overflowed && summary.nanVoxels == 0)
        let lesion = try #require(summary.regions?.first { $0.label == 5 })
        #expect(lesion.statistics.voxels == 64 && abs(lesion.statistics.mean - expected) < 1e-4)
        let json = summary.document(output: "dose.nii.gz", warnings: .array([])).serialized()
        #expect(json.contains("\"schema\": \"voxdose.dose/1\"") && json.contains("\"source_nuclide\": \"Y90\""))
    }

    /// PERCIST between two scans uniform around lesion 5 (so its 1 mL SULpeak sphere sees only its
    /// value): SULpeak 10 → 5 is −50 % (−5 SUL), a partial metabolic response; a lesion only at
    /// follow-up is not assessed.
    @Test func responseOfUniformScans() throws {
        func scan(_ values: [Int32: Float], _ name: String) throws -> ResponseTable.TimePoint {
            let (dose, _) = Self.scene()
            let voxels = dose.labels.codes.map { values[$0] ?? values[5]! }
            var map = dose
            map.volume = ScalarVolume(geometry: dose.volume.geometry, voxels: voxels)
            map.excluded = [1, 7, 8]
            if values[6] == nil { map.regions = LabelRegions(dose.labels.codes.map { $0 == 6 ? 0 : $0 }) }
            return try ResponseTable.TimePoint.measure(
                name, map: map, liver: ReferenceRegion(voxels: map.labels.voxels(ofLabel: 1, in: map.regions), source: "labels"),
                bloodPool: ReferenceRegion(voxels: map.labels.voxels(ofLabel: 8, in: map.regions), source: "labels"), peakRadiusMM: 6.204)
        }
        let table = ResponseTable(baseline: try scan([5: 10, 1: 1, 8: 1.5], "baseline"), followup: try scan([5: 5, 6: 3, 1: 1, 8: 1.5], "follow-up"),
                                  peakRadiusMM: 6.204)
        #expect(table.rows.map(\.label) == [5, 6])
        let a = table.rows[0].assessment
        #expect(table.rows[0].baseline == 10 && a.changePct == -50 && a.changeAbs == -5 && a.category == .pmr && a.responder == true)
        #expect(table.rows[1].baseline == nil && table.rows[1].assessment.category == nil
                && table.rows[1].notes.first?.hasPrefix("absent from the baseline labels") == true)
        #expect(table.csv.hasPrefix(ResponseTable.csvColumns.joined(separator: ",") + "\n5,10.0,5.0,-50.0,-5.0,true,PMR,PR,true,"))
    }
}
