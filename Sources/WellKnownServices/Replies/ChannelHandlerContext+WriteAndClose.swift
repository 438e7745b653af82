import NIOCore

extension ChannelHandlerContext {
    /// Writes `data`, flushes, and closes once everything written before it has reached the kernel.
    /// Closing straight away would discard writes the socket has not taken yet.
    func writeAndFlushThenClose(_ data: NIOAny) {
        self.writeAndFlush(data).assumeIsolated().whenComplete { _ in
            self.close(promise: nil)
        }
    }
}
