#if canImport(Glibc)
import Glibc
#endif

/// Images that are not NIfTI, recognised by their content whatever their name, and refused with
/// the conversion to use (CONTRACT.md guard rails) instead of "not NIfTI: sizeof_hdr is 0".
enum OtherFormats {
    static let dicomConversion = "convert the series to NIfTI first: dcm2niix -z y -o OUTPUT_FOLDER SERIES_FOLDER (it writes the .nii.gz and its .json sidecar)"
    static let nrrdConversion = "convert it to NIfTI first: in 3D Slicer, Save the volume as .nii.gz (or Plastimatch: plastimatch convert --input IN.nrrd --output-img OUT.nii.gz)"

    /// A DICOM Part 10 file: 128 bytes of preamble, then `DICM`.
    static func isDICOM(_ prefix: [UInt8]) -> Bool {
        prefix.count >= 132 && prefix[128..<132].elementsEqual("DICM".utf8)
    }

    /// An NRRD file starts with `NRRD000` and a version digit.
    static func isNRRD(_ prefix: [UInt8]) -> Bool {
        prefix.starts(with: Array("NRRD000".utf8))
    }

    /// Refuses a DICOM or NRRD file, naming what it is and how to convert it.
    static func refuse(_ path: String, prefix: [UInt8]) throws {
        if isDICOM(prefix) { throw VoxelIOError(path, "is a DICOM file, not NIfTI; " + dicomConversion) }
        if isNRRD(prefix) { throw VoxelIOError(path, "is an NRRD file, not NIfTI; " + nrrdConversion) }
    }

    /// Refuses a folder: a DICOM series (one of its first files is DICOM) gets the conversion.
    static func refuseFolder(_ path: String) throws {
        guard FileSystem.fileType(path) == S_IFDIR else { return }
        let files = FileSystem.names(inFolder: path + "/").lazy
            .filter { !$0.hasPrefix(".") && FileSystem.fileType(path + "/" + $0) == S_IFREG }.prefix(16)
        for name in files {
            if let file = try? FileSystem.ReadableFile(path + "/" + name), let prefix = try? file.prefix(132), isDICOM(prefix) {
                throw VoxelIOError(path, "is a folder of DICOM files, not a NIfTI file; " + dicomConversion)
            }
        }
        throw VoxelIOError(path, "is a folder, not a NIfTI file")
    }
}
