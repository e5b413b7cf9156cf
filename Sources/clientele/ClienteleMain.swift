// The `clientele` executable: only the entry point; everything it does lives in ClienteleCLI.
import ClienteleCLI

@main
enum ClienteleMain {
    static func main() async {
        await Clientele.main()
    }
}
