import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// How the process runs Swift concurrency, decided before any task starts.
public enum ServeRuntime {
    /// For `clientele serve`, makes SwiftNIO's event loops Swift concurrency's global executor,
    /// so a request's handler runs on the event loop thread that read it instead of hopping to
    /// Dispatch's pool and back (two thread switches per request, a fifth of the server's time
    /// on two cores). Other commands keep the default executor.
    ///
    /// `CLIENTELE_SERVE_EXECUTOR=dispatch` keeps the default executor (to compare the two, or
    /// to rule this out when something misbehaves).
    ///
    /// Must be called on the main thread before the first task is created.
    public static func prepare(arguments: [String]) {
        guard arguments.dropFirst().first == "serve" else { return }
        if let v = getenv("CLIENTELE_SERVE_EXECUTOR"), String(cString: v) == "dispatch" { return }
        _ = NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
    }
}
