import CLibpng

/// 8-bit RGB images as PNG through libpng's simplified API (which keeps libpng's setjmp error
/// handling on the C side): the report's slices, embedded as data URIs.
public enum PNGImage {
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    /// Encodes `pixels` (RGB, 3 bytes a pixel, rows top to bottom) as PNG, with libpng's fast
    /// compression (the report holds a hundred of them; size matters less than time).
    public static func encodeRGB(_ pixels: [UInt8], width: Int, height: Int) throws -> [UInt8] {
        precondition(pixels.count == width * height * 3)
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = UInt32(PNG_FORMAT_FLAG_COLOR)
        image.flags = UInt32(PNG_IMAGE_FLAG_FAST)
        var size: Int = 0
        // First the size, then the bytes (libpng's two-call protocol).
        guard pixels.withUnsafeBytes({ png_image_write_to_memory(&image, nil, &size, 0, $0.baseAddress, Int32(width * 3), nil) }) != 0 else {
            throw Failure(description: "libpng cannot encode the image: " + message(of: &image))
        }
        var bytes = [UInt8](repeating: 0, count: size)
        let written = bytes.withUnsafeMutableBytes { out in
            pixels.withUnsafeBytes { png_image_write_to_memory(&image, out.baseAddress, &size, 0, $0.baseAddress, Int32(width * 3), nil) }
        }
        guard written != 0 else { throw Failure(description: "libpng cannot encode the image: " + message(of: &image)) }
        return Array(bytes.prefix(size))
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
