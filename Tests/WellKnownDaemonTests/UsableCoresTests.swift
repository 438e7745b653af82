import Testing

@testable import WellKnownDaemon

@Suite struct UsableCoresTests {
    @Test(arguments: [
        ("Name:\tx\nCpus_allowed:\t3\nCpus_allowed_list:\t0-1\n", 2), ("Cpus_allowed:\t1\n", 1),
        ("Cpus_allowed:\tffffffff,ffffffff\n", 64), ("Cpus_allowed:\t00000000,00000004\n", 1),
    ])
    func theAffinityMaskIsCounted(status: String, cpus: Int) {
        #expect(UsableCores.allowedCPUs(status: status) == cpus)
    }

    @Test func withoutTheLineThereIsNoAnswerAndTheCountIsAtLeastOne() {
        #expect(UsableCores.allowedCPUs(status: "Name:\tx\n") == nil)
        #expect(UsableCores.allowedCPUs(status: "Cpus_allowed:\tzz\n") == nil)
        #expect(UsableCores.count >= 1)
    }
}
