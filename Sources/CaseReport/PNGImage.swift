import CLibpng
import Foundation

/// 8-bit RGB images as PNG through libpng's simplified API (which keeps libpng's setjmp error
/// handling on the C side): the report's slices, embedded as data URIs.
public enum PNGImage {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Encodes `pixels` (RGB, 3 bytes a pixel, rows top to bottom) as PNG at zlib level 1 with
    /// the SUB row filter: the report holds a hundred of them, and level 1 is several times faster
    /// than libpng's default for pictures barely larger.
    public static func encodeRGB(_ pixels: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        precondition(pixels.count == width * height * 3)
        var out: UnsafeMutablePointer<UInt8>?
        var size = 0
        var message = [CChar](repeating: 0, count: 128)
        let status = pixels.withUnsafeBufferPointer {
            voxdose_png_encode_rgb($0.baseAddress, UInt32(width), UInt32(height), 1, &out, &size, &message, message.count)
        }
        guard status == 0, let out else {
            throw Failure(description: "libpng cannot encode the image: " + String(decoding: message.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        defer { free(out) }
        return Array(UnsafeBufferPointer(start: out, count: size))
    }

    /// Decodes a PNG to 8-bit RGB (for checks); nil when libpng cannot read it.
    public static func decodeRGB(_ png: [UInt8]) -> (width: Int, height: Int, pixels: [UInt8])? {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        guard png.withUnsafeBytes({ png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }) != 0 else { return nil }
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR)
        let width = Int(image.width), height = Int(image.height)
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        let read = pixels.withUnsafeMutableBytes { png_image_finish_read(&image, nil, $0.baseAddress, Int32(width * 3), nil) }
        png_image_free(&image)
        return read != 0 ? (width, height, pixels) : nil
    }

    private static func message(of image: inout png_image) -> String {
        withUnsafeBytes(of: &image.message) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
    }
}
