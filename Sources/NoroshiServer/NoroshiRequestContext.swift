import Hummingbird
import NoroshiStorage

/// The per-request context: Hummingbird's core storage plus the token the request was made with.
public struct NoroshiRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set once the request has been authenticated.
    public var token: TokenInfo?
    /// The client's IP address, for limits per address.
    public var remoteAddress: String?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.token = nil
        self.remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}
