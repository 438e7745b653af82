import Testing

@testable import WellKnownConfig

@Suite struct AccessPolicyTests {
    @Test(arguments: [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.1.2.3/8", "10.0.0.0/8"),  // host bits are cleared
        ("127.0.0.1", "127.0.0.1/32"),
        ("2001:db8::1/32", "2001:db8::/32"),
        ("::1", "::1/128"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("198.51.100.77/29", "198.51.100.72/29"),
    ])
    func cidrBlocksAreNormalised(text: String, normal: String) throws {
        #expect(try #require(CIDRBlock(text)).description == normal)
    }

    @Test(arguments: ["10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/8/8", "host/8", "10.0.0.0/-1", "10.0.0.0/ 8", ""])
    func badNetworksAreRefused(text: String) {
        #expect(CIDRBlock(text) == nil)
    }

    @Test func denyWinsThenAllowDecides() throws {
        let network = { (text: String) in try #require(CIDRBlock(text)) }
        let policy = AccessPolicy(
            allow: [try network("10.0.0.0/8"), try network("2001:db8::/32")],
            deny: [try network("10.9.0.0/16")]
        )
        #expect(policy.permits([10, 1, 2, 3]))
        #expect(!policy.permits([10, 9, 2, 3]))
        #expect(!policy.permits([192, 0, 2, 1]))
        #expect(policy.permits([0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 12)))
        #expect(!policy.permits([0x20, 0x01, 0x0d, 0xb9] + Array(repeating: 0, count: 12)))
        #expect(AccessPolicy.everyone.permits([1, 2, 3, 4]))
        // An entry's allow list replaces the file's; deny lists add up.
        let entry = policy.narrowed(allow: [try network("192.0.2.0/24")], deny: [try network("192.0.2.9")])
        #expect(entry.permits([192, 0, 2, 1]))
        #expect(!entry.permits([10, 1, 2, 3]))
        #expect(!entry.permits([192, 0, 2, 9]))
        #expect(!entry.permits([10, 9, 0, 1]))
    }

    @Test func theLoaderCombinesFileAndEntryListsAndPositionsErrors() throws {
        let configuration = try parse(
            "allow: [127.0.0.0/8]\ndeny: 127.0.0.9\nservices:\n  - {service: echo, port: 7, deny: [127.0.0.8/31]}\n  - {service: time, port: 37, allow: [\"::1\"]}\n"
        )
        let echo = configuration.services[0].access
        #expect(echo.permits([127, 0, 0, 1]))
        #expect(!echo.permits([127, 0, 0, 9]))
        #expect(!echo.permits([127, 0, 0, 8]))
        #expect(!echo.permits([10, 0, 0, 1]))
        let time = configuration.services[1].access
        #expect(!time.permits([127, 0, 0, 1]), "time's own allow list replaces the file's")
        #expect(time.permits(Array(repeating: 0, count: 15) + [1]))
        #expect(
            errors("allow: [10.0.0.0/8, nope, 10.0.0.0/40]\nservices: [{service: echo, port: 7, deny: [x]}]\n") == [
                "test.yaml:1:21: allow[1]: 'nope' is not a network such as 10.0.0.0/8 or 2001:db8::/32",
                "test.yaml:1:27: allow[2]: '10.0.0.0/40' is not a network such as 10.0.0.0/8 or 2001:db8::/32",
                "test.yaml:2:44: services[0].deny[0]: 'x' is not a network such as 10.0.0.0/8 or 2001:db8::/32",
            ]
        )
    }
}
