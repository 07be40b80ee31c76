import ArgumentParser
import Foundation
import NoroshiPhotos

/// `noroshi-bench ssim REFERENCE.ppm CANDIDATE.jpg…`: how close each candidate is to the reference.
struct SSIMBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssim",
        abstract: "Mean SSIM of the luma of each JPEG against a reference image (binary PPM, same size).",
        discussion: """
            SSIM (Wang et al. 2004) over 8×8 windows moved 4 pixels at a time, on BT.601 luma, with the
            usual constants (K1 0.01, K2 0.03, L 255). 1.0 means identical; softer or shifted images score lower.
            """
    )

    @Argument(help: "The reference, a binary PPM (P6) or PGM (P5).") var reference: String
    @Argument(help: "JPEG files of the same size.") var candidates: [String]

    func run() throws {
        let truth = try Self.readPNM(reference)
        for candidate in candidates {
            let image = try DecodedImage.decode(Data(contentsOf: URL(fileURLWithPath: candidate)))
            guard image.width == truth.width, image.height == truth.height else {
                print("\(candidate): \(image.width)×\(image.height), reference is \(truth.width)×\(truth.height)")
                continue
            }
            print(
                String(format: "%@ %.5f", candidate, Self.ssim(Self.luma(truth), Self.luma(image), width: image.width)))
        }
    }

    static func luma(_ image: DecodedImage) -> [Double] {
        guard image.components == 3 else { return image.pixels.map(Double.init) }
        return (0..<image.width * image.height).map { index in
            let pixel = image.pixels[index * 3..<index * 3 + 3].map(Double.init)
            return 0.299 * pixel[0] + 0.587 * pixel[1] + 0.114 * pixel[2]
        }
    }

    static func ssim(_ a: [Double], _ b: [Double], width: Int) -> Double {
        let height = a.count / width
        let c1: Double = (0.01 * 255) * (0.01 * 255)
        let c2: Double = (0.03 * 255) * (0.03 * 255)
        var total = 0.0
        var windows = 0
        for top in stride(from: 0, through: height - 8, by: 4) {
            for left in stride(from: 0, through: width - 8, by: 4) {
                var (sumA, sumB, sumAA, sumBB, sumAB) = (0.0, 0.0, 0.0, 0.0, 0.0)
                for y in top..<top + 8 {
                    for x in left..<left + 8 {
                        let (p, q) = (a[y * width + x], b[y * width + x])
                        sumA += p
                        sumB += q
                        sumAA += p * p
                        sumBB += q * q
                        sumAB += p * q
                    }
                }
                let n = 64.0
                let (meanA, meanB) = (sumA / n, sumB / n)
                let varianceA = sumAA / n - meanA * meanA
                let varianceB = sumBB / n - meanB * meanB
                let covariance = sumAB / n - meanA * meanB
                let numerator: Double = (2 * meanA * meanB + c1) * (2 * covariance + c2)
                let denominator: Double = (meanA * meanA + meanB * meanB + c1) * (varianceA + varianceB + c2)
                total += numerator / denominator
                windows += 1
            }
        }
        return total / Double(windows)
    }

    /// Reads a binary PPM (P6) or PGM (P5) with maxval 255.
    static func readPNM(_ path: String) throws -> DecodedImage {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        var index = 0
        func token() -> String {
            var text = ""
            while index < bytes.count {
                let byte = bytes[index]
                if byte == UInt8(ascii: "#") {
                    while index < bytes.count && bytes[index] != 10 { index += 1 }
                } else if byte == 32 || byte == 10 || byte == 13 || byte == 9 {
                    if !text.isEmpty { break }
                    index += 1
                } else {
                    text.append(Character(UnicodeScalar(byte)))
                    index += 1
                }
            }
            return text
        }
        let magic = token()
        guard magic == "P6" || magic == "P5", let width = Int(token()), let height = Int(token()), token() == "255"
        else { throw ValidationError("\(path): not a binary PPM/PGM with maxval 255") }
        index += 1
        let components = magic == "P6" ? 3 : 1
        let count = width * height * components
        guard bytes.count - index >= count else { throw ValidationError("\(path): pixel data is short") }
        return DecodedImage(
            width: width, height: height, components: components, pixels: Array(bytes[index..<index + count]))
    }
}
