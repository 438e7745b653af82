import Testing
import WellKnownConfig

@testable import WellKnownDaemon

@Suite struct ReloadPlanTests {
    static func ip(_ transport: Transport, _ address: String, _ port: Int) -> ListenerKey {
        guard let bind = BindAddress(address) else { return .inherited(fd: -1) }
        return .bound(transport, .ip(bind, port: port))
    }

    static func unix(_ transport: Transport, _ path: String) -> ListenerKey {
        .bound(transport, .unix(path: path))
    }

    let echoTCP = Self.ip(.tcp, "127.0.0.1", 7)
    let echoUDP = Self.ip(.udp, "127.0.0.1", 7)
    let daytimeTCP = Self.ip(.tcp, "127.0.0.1", 13)

    @Test func theSameConfigurationKeepsEverythingAndOpensAndClosesNothing() {
        let plan = ReloadPlan(current: [echoTCP, echoUDP], wanted: [echoTCP, echoUDP])
        #expect(plan.keep == [echoTCP, echoUDP])
        #expect(plan.open.isEmpty && plan.openAfterClose.isEmpty && plan.close.isEmpty && plan.closeFirst.isEmpty)
    }

    @Test func newSocketsOpenRemovedOnesCloseAndKeptOnesStayInTheNewOrder() {
        let plan = ReloadPlan(current: [echoTCP, echoUDP, daytimeTCP], wanted: [daytimeTCP, Self.ip(.tcp, "::1", 9)])
        #expect(plan.keep == [daytimeTCP])
        #expect(plan.open == [Self.ip(.tcp, "::1", 9)])
        #expect(plan.openAfterClose.isEmpty)
        #expect(plan.close == [echoTCP, echoUDP])
    }

    @Test func aSocketNeedingTheAddressOfARemovedOneOpensAfterTheClose() {
        let wildcard = Self.ip(.tcp, "0.0.0.0", 7)
        let plan = ReloadPlan(current: [echoTCP, echoUDP], wanted: [wildcard, echoUDP])
        #expect(plan.keep == [echoUDP])
        #expect(plan.open.isEmpty)
        #expect(plan.openAfterClose == [wildcard])
        #expect(plan.close == [echoTCP])
        #expect(plan.closeFirst == [echoTCP])
    }

    @Test func onlyTheRemovedSocketsInTheWayCloseFirst() {
        let wildcard = Self.ip(.tcp, "0.0.0.0", 7)
        let plan = ReloadPlan(current: [echoTCP, daytimeTCP], wanted: [wildcard])
        #expect(plan.close == [echoTCP, daytimeTCP])
        #expect(plan.closeFirst == [echoTCP], "daytime's socket closes at commit, once the reload is sure")
    }

    @Test func pinningAPickedPortWaitsForThePickedSocketToClose() throws {
        let loopback = try #require(BindAddress("127.0.0.1"))
        let picked = ListenerKey.picked(.tcp, .ip(loopback, port: 0), entry: 0, service: "echo")
        let open = ReloadPlan.Open(key: picked, address: .ip(loopback, port: 41234))
        let pinned = Self.ip(.tcp, "127.0.0.1", 41234)
        let plan = ReloadPlan(current: [open], wanted: [pinned])
        #expect(plan.openAfterClose == [pinned])
        #expect(plan.closeFirst == [picked])
        #expect(ReloadPlan(current: [open], wanted: [picked]).keep == [picked], "port: 0 again keeps it")
    }

    @Test func theDualStackWildcardTakesIPv4AddressesToo() {
        let dualStack = Self.ip(.udp, "::", 7)
        let plan = ReloadPlan(current: [echoUDP], wanted: [dualStack])
        #expect(plan.openAfterClose == [dualStack])
    }

    @Test func otherTransportsAndPortsNeverWait() {
        let plan = ReloadPlan(
            current: [echoTCP],
            wanted: [Self.ip(.udp, "0.0.0.0", 7), Self.ip(.tcp, "0.0.0.0", 8), Self.ip(.tcp, "127.0.0.2", 7)]
        )
        #expect(plan.open.count == 3)
        #expect(plan.openAfterClose.isEmpty)
    }

    @Test func aSocketPathIsTakenWhateverTheSocketType() {
        let plan = ReloadPlan(current: [Self.unix(.tcp, "/run/w/echo")], wanted: [Self.unix(.udp, "/run/w/echo")])
        #expect(plan.openAfterClose == [Self.unix(.udp, "/run/w/echo")])
    }

    @Test func portZeroNeverWaitsAndIsKeptUnderItsConfiguredKey() {
        let picked = Self.ip(.tcp, "127.0.0.1", 0)
        #expect(ReloadPlan(current: [picked], wanted: [picked]).keep == [picked])
        let plan = ReloadPlan(current: [picked], wanted: [Self.ip(.udp, "127.0.0.1", 0), Self.ip(.tcp, "0.0.0.0", 0)])
        #expect(plan.openAfterClose.isEmpty)
        #expect(plan.open.count == 2)
    }

    @Test func inheritedSocketsAreKeptAndNeverConflict() {
        let inherited = ListenerKey.inherited(fd: 3)
        let plan = ReloadPlan(current: [inherited, echoTCP], wanted: [inherited, Self.ip(.tcp, "0.0.0.0", 7)])
        #expect(plan.keep == [inherited])
        #expect(plan.close == [echoTCP])
        #expect(plan.closeFirst == [echoTCP])
        #expect(plan.openAfterClose == [Self.ip(.tcp, "0.0.0.0", 7)])
    }
}
