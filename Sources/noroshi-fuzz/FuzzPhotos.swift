// The fuzz target for what Noroshi reads from untrusted photos: the EXIF reader, the JPEG header parser
// (libjpeg through CJPEG) and, for small images, the decode-resize-encode path.
//
// Built by scripts/fuzz-photos.sh with `-sanitize=fuzzer,address -DNOROSHI_FUZZ`, it hands each input
// libFuzzer makes to `exercise`. In a normal build it is a replay tool: `noroshi-fuzz FILE_OR_DIR…` runs
// every file through the same function, so a finding can be reproduced (and checked fixed) without the
// fuzzing toolchain.

import Foundation
import NoroshiPhotos

/// Everything one input goes through. Errors are expected; crashes, hangs and sanitizer reports are not.
func exercise(_ bytes: [UInt8]) {
    // The EXIF reader on the raw bytes, so the fuzzer can shape IFDs directly (seeds include bare APP1
    // payloads starting with "Exif\0\0").
    _ = try? EXIF.read(app1: bytes)
    guard let header = try? JPEGHeader.read(bytes: bytes) else { return }
    let exif = header.exifPayload.flatMap { try? EXIF.read(app1: $0) }
    _ = exif?.takenAt(assumedOffset: 9 * 3600)
    // Decode only small images, so each run stays in milliseconds; the pixel limit is checked in C too.
    let limits = PhotoLimits(maxBytes: 1 << 20, maxPixels: 1 << 20)
    guard header.width * header.height <= limits.maxPixels else { return }
    _ = try? Derivatives.make(bytes: bytes, orientation: exif?.orientation ?? 1, limits: limits)
}

#if NOROSHI_FUZZ
    /// libFuzzer's driver: SwiftPM links an executable's `@main` as `main`, so rather than libFuzzer's own
    /// `main` this one hands the command line to libFuzzer with the function to call per input.
    @_silgen_name("LLVMFuzzerRunDriver")
    func runFuzzerDriver(
        _ argc: UnsafeMutablePointer<CInt>,
        _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
        _ test: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
    ) -> CInt

    @main
    enum Fuzz {
        static func main() {
            var argc = CommandLine.argc
            var argv = CommandLine.unsafeArgv
            let status = runFuzzerDriver(&argc, &argv) { data, size in
                exercise(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                return 0
            }
            exit(status)
        }
    }
#else
    /// The replay tool of a normal build.
    @main
    enum Replay {
        static func main() {
            var files: [String] = []
            for argument in CommandLine.arguments.dropFirst() {
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: argument, isDirectory: &isDirectory), isDirectory.boolValue {
                    let names = (try? FileManager.default.contentsOfDirectory(atPath: argument)) ?? []
                    files += names.sorted().map { argument + "/" + $0 }
                } else {
                    files.append(argument)
                }
            }
            if files.isEmpty {
                FileHandle.standardError.write(Data("usage: noroshi-fuzz FILE_OR_DIRECTORY…\n".utf8))
                exit(2)
            }
            for file in files {
                guard let data = FileManager.default.contents(atPath: file) else {
                    FileHandle.standardError.write(Data("noroshi-fuzz: cannot read \(file)\n".utf8))
                    exit(1)
                }
                exercise(Array(data))
            }
            print("noroshi-fuzz: \(files.count) input(s) replayed without a crash.")
        }
    }
#endif
