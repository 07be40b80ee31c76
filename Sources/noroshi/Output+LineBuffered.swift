// Apart from Foundation, whose import of Glibc is not @preconcurrency, so that `stdout` (a C global) can be named.
#if canImport(Glibc)
    @preconcurrency import Glibc
#endif

extension Output {
    /// Sends each line of standard output as it is printed, also into a file or a pipe (which are otherwise
    /// written in blocks): `noroshi sync --watch > sync.log` then shows what went even if the process is
    /// stopped before it ends.
    static func lineBuffered() {
        setvbuf(stdout, nil, _IOLBF, 0)
    }
}
