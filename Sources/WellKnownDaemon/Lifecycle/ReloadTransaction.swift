/// What a reload under way has done so far, so that a failure can undo it.
struct ReloadTransaction {
    /// New sockets, paused.
    var opened: [RunningListener] = []
    /// Removed sockets closed before the reload was sure, to free their addresses for new ones.
    var closedEarly: [RunningListener] = []
    /// Kept sockets already serving their new route, with the route they had.
    var rerouted: [(RunningListener, Route)] = []
}
