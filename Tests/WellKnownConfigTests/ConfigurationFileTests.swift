import Foundation
import Testing
import WellKnownConfig

#if canImport(Glibc)
import Glibc
#endif

/// What a new user sees when the path is not a readable configuration file: the real cause, never a Foundation
/// error code.
@Suite struct ConfigurationFileTests {
    static func message(_ path: String) -> String? {
        do {
            _ = try ConfigurationFile.read(path: path)
            return nil
        } catch {
            return error.description
        }
    }

    static func scratch(_ name: String) -> String {
        "\(NSTemporaryDirectory())wellknownd-file-\(UUID().uuidString)-\(name)"
    }

    @Test func aDirectoryADeviceAndAMissingFileAreNamed() {
        #expect(Self.message("/tmp") == "/tmp: cannot read the configuration: it is a directory, not a file")
        #expect(
            Self.message("/dev/null")
                == "/dev/null: cannot read the configuration: it is a character device, not a file"
        )
        #expect(
            Self.message("/nonexistent/w.yaml")
                == "/nonexistent/w.yaml: cannot read the configuration: No such file or directory"
        )
    }

    @Test func aFIFOIsRefusedWithoutWaitingForAWriter() throws {
        let path = Self.scratch("fifo")
        #expect(mkfifo(path, 0o600) == 0)
        defer { unlink(path) }
        #expect(Self.message(path) == "\(path): cannot read the configuration: it is a FIFO (named pipe), not a file")
    }

    @Test func aFileOverTheBoundIsRefusedBeforeItIsRead() throws {
        let path = Self.scratch("big.yaml")
        let fd = open(path, O_CREAT | O_WRONLY, 0o600)
        #expect(fd >= 0)
        // Sparse: 17 MiB of size, no data written.
        #expect(ftruncate(fd, off_t(ConfigurationFile.maximumSize + 1)) == 0)
        close(fd)
        defer { unlink(path) }
        #expect(
            Self.message(path)
                == "\(path): cannot read the configuration: it is 16777217 bytes, more than the 16777216 allowed"
        )
    }

    @Test func textThatIsNotUTF8IsNamed() throws {
        let path = Self.scratch("latin1.yaml")
        try Data([0x73, 0x65, 0x72, 0xE9, 0x0A]).write(to: URL(fileURLWithPath: path))
        defer { unlink(path) }
        #expect(Self.message(path) == "\(path): not UTF-8 text")
    }

    @Test func aGoodFileReadsWhole() throws {
        let path = Self.scratch("good.yaml")
        let text = "services:\n  - {service: echo, port: 7}\n"
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        defer { unlink(path) }
        #expect(try ConfigurationFile.read(path: path) == text)
    }
}
