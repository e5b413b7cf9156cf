// The `clientele` executable: only the entry point; everything it does lives in ClienteleCLI.
import ClienteleCLI
import Dispatch
#if canImport(Glibc)
import Glibc
#endif

@main
enum ClienteleMain {
    static func main() {
        // Synchronous, so that `serve` can choose its executor before the first task exists.
        ServeRuntime.prepare(arguments: CommandLine.arguments)
        Task {
            await Clientele.main()
            exit(0)
        }
        dispatchMain()
    }
}
