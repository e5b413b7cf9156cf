import Testing
import CustomerEvents
import Ledger
import LedgerJSON
import Projections

@Suite("Complaint SLA clocks")
struct ComplaintSLATests {
    /// Appends the steps (type, local time on 2026-11-23 +08:00, payload extras) and reads the record back.
    func record(_ steps: [(String, String, String)]) throws -> (ComplaintRecord, Fixture) {
        let f = try Fixture("sla")
        var docs: [JSONValue] = []
        for (i, (type, time, extra)) in steps.enumerated() {
            var payload = #"{"complaint":"CP-1""# + (extra.isEmpty ? "" : "," + extra) + "}"
            if type == "ComplaintFiled" { payload = #"{"complaint":"CP-1","category":"product-quality","severity":"medium""# + (extra.isEmpty ? "" : "," + extra) + "}" }
            docs.append(try JSONParser.parse(#"{"type":"\#(type)","customer":"C1","store":"S1","actor":"staff-\#(i % 2)","channel":"counter","occurredAt":"\#(time)+08:00","source":"t","externalId":"\#(i)","payload":\#(payload)}"#))
        }
        try f.append(docs)
        return (try #require(try f.models.record(ComplaintStatusProjector(), key: "CP-1")), f)
    }

    func at(_ local: String) -> Int64 { Timestamp(iso8601: local + "+08:00")!.microseconds }

    @Test("around the clock: respond met, plan warning at 75 %, close breached after 24 h")
    func aroundTheClock() throws {
        let (r, f) = try record([("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintAcknowledged", "2026-11-23T10:40:00", "")])
        defer { f.remove() }
        let c = SLAConfiguration()
        let early = ComplaintSLA.clocks(r, at: at("2026-11-23T13:10:00"), configuration: c)
        #expect(early[0].state == .met && early[0].usedMinutes == 40)
        #expect(early[1].state == .warning && early[1].minutesLeft == 50)   // 190 of 240 minutes
        #expect(early[2].state == .running)
        let late = ComplaintSLA.clocks(r, at: at("2026-11-24T10:01:00"), configuration: c)
        #expect(late[1].state == .breached && late[2].state == .breached)
        #expect(late[2].minutesLeft == -1)
        #expect(r.status == "acknowledged")
    }

    @Test("business hours: the clock stops overnight")
    func businessHours() throws {
        let (r, f) = try record([("ComplaintFiled", "2026-11-23T21:30:00", "")])
        defer { f.remove() }
        var c = SLAConfiguration()
        c.hours["S1"] = .init(opens: 10 * 60, closes: 22 * 60, offsetMinutes: 480)
        // 21:30–22:00 and 10:00–10:20 next day: 50 business minutes.
        let next = ComplaintSLA.clocks(r, at: at("2026-11-24T10:20:00"), configuration: c)
        #expect(next[0].usedMinutes == 50 && next[0].state == .warning, "50 of 60 minutes is past the 75 % warning")
        #expect(ComplaintSLA.clocks(r, at: at("2026-11-24T10:00:00"), configuration: c)[0].usedMinutes == 30, "nothing counts overnight")
        #expect(ComplaintSLA.clocks(r, at: at("2026-11-24T10:31:00"), configuration: c)[0].state == .breached)
    }

    @Test("the calendar: no clock runs on a closed weekday or a holiday, whatever the hours", arguments: [
        // (filed, read at, the calendar, business minutes used): hours 10:00–22:00 +08:00.
        ("2026-11-28T21:30:00", "2026-11-30T10:20:00", #"{"closedWeekdays":["sun"]}"#, 50),   // Saturday night to Monday: Sunday closed
        ("2026-11-28T21:30:00", "2026-11-30T10:20:00", "{}", 770),                            // the same, open on Sunday: + 12 h
        ("2026-11-23T21:30:00", "2026-11-25T10:20:00", #"{"holidays":["2026-11-24"]}"#, 50),   // Monday night to Wednesday: Tuesday a holiday
        ("2026-11-23T21:30:00", "2026-11-25T10:20:00", #"{"storeDates":["2026-11-24"]}"#, 50), // the store's own closed date
        ("2026-11-23T21:30:00", "2026-11-25T10:20:00", #"{"otherStoreDates":["2026-11-24"]}"#, 770), // another store's closed date
        ("2026-11-24T11:00:00", "2026-11-25T10:20:00", #"{"holidays":["2026-11-24"]}"#, 20),   // filed on a holiday: nothing counts until the next opening
    ])
    func calendar(filed: String, readAt: String, calendar: String, minutes: Int) throws {
        let (r, f) = try record([("ComplaintFiled", filed, "")])
        defer { f.remove() }
        let cal = try JSONParser.parse(calendar)
        func list(_ key: String) -> String {
            guard case .array(let a)? = cal[key] else { return "[]" }
            return "[" + a.compactMap(\.stringValue).map { "\"\($0)\"" }.joined(separator: ",") + "]"
        }
        let hours = #"{"opens":"10:00","closes":"22:00","utcOffsetMinutes":480,"closedWeekdays":\#(list("closedWeekdays")),"closedDates":\#(list("storeDates"))}"#
        let other = #"{"opens":"10:00","closes":"22:00","closedDates":\#(list("otherStoreDates"))}"#
        let config = try ClienteleConfiguration.parse(try JSONParser.parse(
            #"{"sla":{"holidays":\#(list("holidays")),"storeHours":{"S1":\#(hours),"S2":\#(other)}}}"#))
        let clocks = ComplaintSLA.clocks(r, at: at(readAt), configuration: config.sla)
        #expect(clocks[2].usedMinutes == minutes, "\(clocks[2])")
    }

    @Test("a calendar's bad date or a store closed every day is refused, naming the key")
    func badCalendar() throws {
        for (text, key) in [(#"{"sla":{"holidays":["2026-02-30"]}}"#, "$.sla.holidays[0]"),
                            (#"{"sla":{"storeHours":{"S1":{"opens":"10:00","closes":"22:00","closedDates":["26-11-24"]}}}}"#, "$.sla.storeHours.S1.closedDates[0]"),
                            (#"{"sla":{"businessHours":{"opens":"10:00","closes":"22:00","closedWeekdays":["mon","tue","wed","thu","fri","sat","sun"]}}}"#, "$.sla.businessHours.closedWeekdays")] {
            #expect { _ = try ClienteleConfiguration.parse(try JSONParser.parse(text)) } throws: { error in "\(error)".contains(key) }
        }
    }

    @Test("waiting on the customer pauses every clock")
    func pause() throws {
        let (r, f) = try record([
            ("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintAcknowledged", "2026-11-23T10:10:00", ""),
            ("ComplaintAwaitingCustomer", "2026-11-23T11:00:00", #""reason":"photos""#),
            ("ComplaintResumed", "2026-11-23T17:00:00", ""), ("ComplaintPlanProposed", "2026-11-23T18:00:00", #""plan":"replace""#),
        ])
        defer { f.remove() }
        let clocks = ComplaintSLA.clocks(r, at: at("2026-11-23T18:30:00"), configuration: SLAConfiguration())
        #expect(clocks[1].state == .met && clocks[1].usedMinutes == 120, "8 h minus the 6 h pause")
        #expect(clocks[2].usedMinutes == 150)
    }

    @Test("an open pause holds the clock until the customer answers")
    func openPause() throws {
        let (r, f) = try record([("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintAwaitingCustomer", "2026-11-23T10:30:00", "")])
        defer { f.remove() }
        let c = ComplaintSLA.clocks(r, at: at("2026-11-25T10:00:00"), configuration: SLAConfiguration())
        #expect(c[0].usedMinutes == 30 && c[0].state == .running)
        #expect(r.status == "awaiting-customer")
    }

    /// Steps in recorded order (type, local time on 2026-11-23 +08:00 unless a date is given);
    /// staff alternate staff-0, staff-1 by position. Read at 2026-11-25T12:00 (around the clock).
    @Test("waits end when the customer answers or staff take a step, by business time", arguments: [
        // Acknowledged while waiting: the wait ends there; no plan in 2 days is a breach.
        ([("ComplaintFiled", "10:00"), ("ComplaintAwaitingCustomer", "10:10"), ("ComplaintAcknowledged", "10:20")],
         "acknowledged", [[10 * 60 + 10, 10 * 60 + 20]], "plan", SLAClock.State.breached),
        // Resolved while waiting, closed two days later: the close clock missed its 24 h.
        ([("ComplaintFiled", "10:00"), ("ComplaintAwaitingCustomer", "10:10"), ("ComplaintResolved", "10:20"), ("ComplaintClosed", "2026-11-25T10:30")],
         "closed", [[10 * 60 + 10, 10 * 60 + 20]], "close", .missed),
        // The answer recorded before the wait it ends (a desk synced late): the same pause.
        ([("ComplaintFiled", "10:00"), ("ComplaintAcknowledged", "10:05"), ("ComplaintResumed", "11:00"), ("ComplaintAwaitingCustomer", "10:30")],
         "acknowledged", [[10 * 60 + 30, 11 * 60]], "plan", .breached),
        // A step before the wait began ends nothing: still waiting, the clocks held.
        ([("ComplaintFiled", "10:00"), ("ComplaintAwaitingCustomer", "10:30"), ("ComplaintAcknowledged", "10:05")],
         "awaiting-customer", [[10 * 60 + 30, 0]], "plan", .running),
    ])
    func waits(steps: [(String, String)], status: String, pauses: [[Int]], step: String, state: SLAClock.State) throws {
        let (r, f) = try record(steps.map { ($0.0, $0.1.count == 5 ? "2026-11-23T\($0.1):00" : $0.1 + ":00", "") })
        defer { f.remove() }
        #expect(r.status == status)
        #expect(r.pauses == pauses.map { $0.map { $0 == 0 ? 0 : at("2026-11-23T00:00:00") + Int64($0) * 60_000_000 } }, "\(r.pauses)")
        let clocks = ComplaintSLA.clocks(r, at: at("2026-11-25T12:00:00"), configuration: SLAConfiguration())
        #expect(clocks.first { $0.step == step }?.state == state, "\(clocks)")
        // As of a time after every step (folded in business-time order): the same record.
        let asOf = try f.models.fold(ComplaintStatusProjector(), asOf: .time(Timestamp(iso8601: "2026-11-25T12:00:00+08:00")!))
        #expect(asOf["CP-1"].map { ComplaintSLA.clocks($0, at: at("2026-11-25T12:00:00"), configuration: SLAConfiguration()) } == clocks)
    }

    @Test("who responded first is who took the first step in business time, whatever order they were recorded in")
    func firstResponder() throws {
        // staff-1 resolves at 13:00, recorded before staff-0's acknowledgement at 10:20.
        let (r, f) = try record([("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintResolved", "2026-11-23T13:00:00", ""),
                                 ("ComplaintAcknowledged", "2026-11-23T10:20:00", "")])
        defer { f.remove() }
        #expect(r.handlers == ["staff-0", "staff-1"])
        let staff = ServiceReports.staff(complaints: [r], period: nil, at: at("2026-11-24T00:00:00"), sla: SLAConfiguration())
        #expect(staff.first { $0.staff == "staff-0" }?.averageRespondMinutes == 20)
        #expect(staff.first { $0.staff == "staff-1" }?.averageRespondMinutes == nil)
    }

    @Test("a reopening keeps the earlier round's close clock: a breach reported stays reported")
    func reopenKeepsBreach() throws {
        let (r, f) = try record([
            ("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintAcknowledged", "2026-11-23T10:20:00", ""),
            ("ComplaintPlanProposed", "2026-11-23T11:00:00", #""plan":"replace""#), ("ComplaintResolved", "2026-11-23T12:00:00", ""),
            ("ComplaintClosed", "2026-11-25T10:05:00", ""), ("ComplaintReopened", "2026-11-26T09:00:00", #""reason":"again""#),
            ("ComplaintResolved", "2026-11-26T10:00:00", ""), ("ComplaintClosed", "2026-11-26T11:05:00", ""),
        ])
        defer { f.remove() }
        let c = SLAConfiguration()
        let clocks = ComplaintSLA.clocks(r, at: at("2026-11-27T00:00:00"), configuration: c)
        #expect(clocks.map(\.step) == ["respond", "plan", "close", "close (round 1)"])
        #expect(clocks[2].state == .met && clocks[2].usedMinutes == 125)
        #expect(clocks[3].state == .missed && clocks[3].usedMinutes == 48 * 60 + 5)
        // The day the first round's close clock broke (the 24th) still counts it; the queue's
        // breached filter and the staff's hit rate see it.
        #expect(ComplaintQueue.breached([r], store: "S1", date: "2026-11-24", now: at("2026-11-27T00:00:00"), sla: c) == ["CP-1"])
        #expect(ComplaintQueue.rows([r], now: Timestamp(microseconds: at("2026-11-27T00:00:00")), sla: c, status: .all, breachedOnly: true).count == 1)
        let staff = ServiceReports.staff(complaints: [r], period: nil, at: at("2026-11-27T00:00:00"), sla: c)
        #expect(staff.allSatisfy { $0.slaHitRate == 3.0 / 4.0 }, "\(staff.map { ($0.staff, $0.slaHitRate) })")
    }

    @Test("each callback rates the resolution it followed: a reopening keeps the first resolver's rating and resolve time")
    func callbacksRateTheirRound() throws {
        // Staff alternate by position: staff-1 resolves round 1 (rated 1), staff-0 round 2 (rated 5).
        let (r, f) = try record([
            ("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintResolved", "2026-11-23T11:00:00", ""),
            ("CallbackLogged", "2026-11-23T12:00:00", #""reached":true,"csat":1"#), ("ComplaintReopened", "2026-11-24T09:00:00", #""reason":"again""#),
            ("ComplaintResolved", "2026-11-24T10:00:00", ""), ("CallbackLogged", "2026-11-24T11:00:00", #""reached":true,"csat":5"#),
            ("ComplaintClosed", "2026-11-24T11:30:00", ""),
        ])
        defer { f.remove() }
        let staff = ServiceReports.staff(complaints: [r], period: nil, at: at("2026-11-25T00:00:00"), sla: SLAConfiguration())
        let first = try #require(staff.first { $0.staff == "staff-1" }), second = try #require(staff.first { $0.staff == "staff-0" })
        #expect(first.satisfaction.csat == 1 && first.resolveCount == 1 && first.averageResolveMinutes == 60)
        #expect(second.satisfaction.csat == 5 && second.resolveCount == 1 && second.averageResolveMinutes == 60, "from the reopening")
        // The satisfaction report by staff credits the same people.
        let byStaff = Dictionary(uniqueKeysWithValues: try ServiceReports.satisfaction(ledger: f.ledger, complaints: ["CP-1": r], by: "staff"))
        #expect(byStaff["staff-1"]?.csat == 1 && byStaff["staff-0"]?.csat == 5, "\(byStaff)")
    }

    @Test("two callbacks of one resolution both count; a called-back complaint waits for its closing, not another call")
    func callbackDone() throws {
        let (r, f) = try record([
            ("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintResolved", "2026-11-23T11:00:00", ""),
            ("CallbackLogged", "2026-11-23T12:00:00", #""reached":false"#), ("CallbackLogged", "2026-11-23T15:00:00", #""reached":true,"csat":2"#),
            ("CallbackLogged", "2026-11-23T16:00:00", #""reached":true,"csat":5"#),
        ])
        defer { f.remove() }
        let staff = ServiceReports.staff(complaints: [r], period: nil, at: at("2026-11-24T00:00:00"), sla: SLAConfiguration())
        #expect(staff.first { $0.staff == "staff-1" }?.satisfaction.csat == 3.5)
        #expect(!r.callbackDue)
        let row = try #require(ComplaintQueue.rows([r], now: Timestamp(microseconds: at("2026-11-24T00:00:00")), sla: SLAConfiguration()).first)
        #expect(row.nextStep == "close")
        let agenda = try f.models.careAgenda(now: Timestamp(iso8601: "2026-11-24T09:00:00+08:00")!, configuration: ClienteleConfiguration())
        #expect(agenda.callbacks.isEmpty)
    }

    @Test("a step entered late takes its place among the others: live, rebuilt and as of any point agree", arguments: [
        // The closing at 11:40 entered after the reopening at 12:00: reopened, its close clock running.
        [("ComplaintFiled", "10:00", ""), ("ComplaintAcknowledged", "10:10", ""), ("ComplaintResolved", "11:00", ""),
         ("CallbackLogged", "11:30", #""reached":true,"csat":2"#), ("ComplaintReopened", "12:00", #""reason":"still broken""#), ("ComplaintClosed", "11:40", "")],
        // The resolution at 11:00 entered after the reopening at 12:00.
        [("ComplaintFiled", "10:00", ""), ("ComplaintAcknowledged", "10:10", ""), ("ComplaintReopened", "12:00", #""reason":"still broken""#),
         ("ComplaintResolved", "11:00", "")],
    ])
    func lateStep(steps: [(String, String, String)]) throws {
        let (r, f) = try record(steps.map { ($0.0, "2026-11-23T\($0.1):00", $0.2) })
        defer { f.remove() }
        #expect(r.isOpen && r.status == "reopened" && r.reopened == 1 && r.roundStartedAt == at("2026-11-23T12:00:00"), "\(r.json)")
        #expect(!r.foldedOutOfOrder, "folded again before it was stored")
        let inOrder = steps.sorted { $0.1 < $1.1 }
        let (ordered, g) = try record(inOrder.map { ($0.0, "2026-11-23T\($0.1):00", $0.2) })
        defer { g.remove() }
        func same(_ a: ComplaintRecord?, _ b: ComplaintRecord) -> Bool {
            guard var a else { return false }
            var b = b
            a.handlers = []; a.handlerSince = []; b.handlers = []; b.handlerSince = []   // who is staff-0 follows the recorded position
            a.callbacks = a.callbacks.map { var c = $0; c.by = ""; return c }; b.callbacks = b.callbacks.map { var c = $0; c.by = ""; return c }
            a.resolvers = []; b.resolvers = []; a.resolvedBy = nil; b.resolvedBy = nil; a.filedBy = nil; b.filedBy = nil
            return a == b
        }
        #expect(same(r, ordered), "late \(r.json)\nin order \(ordered.json)")
        let head = try f.ledger.ledger.head().sequence
        #expect(try f.models.fold(ComplaintStatusProjector(), asOf: .sequence(head))["CP-1"] == r)
        #expect(try same(f.models.fold(ComplaintStatusProjector(), asOf: .time(Timestamp(iso8601: "2026-11-24T00:00:00+08:00")!))["CP-1"], r))
        let report = try f.models.rebuildReporting([ComplaintStatusProjector()])
        #expect(report.refolded[ComplaintStatusProjector.name] == 1)
        #expect(try f.models.record(ComplaintStatusProjector(), key: "CP-1") == r)
    }

    @Test("a step recorded under another customer id is kept when a late step has the complaint folded again")
    func stepUnderAnotherCustomer() throws {
        let f = try Fixture("sla-two-streams"); defer { f.remove() }
        func step(_ type: String, _ customer: String, _ time: String, _ i: Int) throws -> JSONValue {
            let payload = type == "ComplaintFiled" ? #"{"complaint":"CP-1","category":"product-quality","severity":"medium"}"# : #"{"complaint":"CP-1"}"#
            return try JSONParser.parse(#"{"type":"\#(type)","customer":"\#(customer)","store":"S1","actor":"staff-\#(i)","channel":"counter","occurredAt":"2026-11-23T\#(time):00+08:00","source":"t","externalId":"\#(i)","payload":\#(payload)}"#)
        }
        try f.append([
            try step("ComplaintFiled", "C1", "10:00", 0),
            try step("ComplaintAcknowledged", "C2", "10:10", 1),   // keyed under a duplicate record of the same person
            try step("ComplaintResolved", "C1", "11:00", 2),
            try step("ComplaintVerified", "C1", "10:30", 3),       // entered late
        ])
        let live = try #require(try f.models.record(ComplaintStatusProjector(), key: "CP-1"))
        let asOf = try #require(try f.models.fold(ComplaintStatusProjector(), asOf: .time(Timestamp(iso8601: "2026-11-24T00:00:00+08:00")!))["CP-1"])
        #expect(live.acknowledgedAt == at("2026-11-23T10:10:00") && live.handlers.count == 3 && live.streams == ["C1", "C2"], "\(live.json)")
        var asOfSameStreams = asOf
        asOfSameStreams.streams = live.streams   // the time index meets them in another order
        #expect(asOfSameStreams == live)
    }

    @Test("a callback that reaches the customer ends a wait on them; one that does not leaves the callback due")
    func callbackReached() throws {
        let (r, f) = try record([
            ("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintAcknowledged", "2026-11-23T10:10:00", ""),
            ("ComplaintResolved", "2026-11-23T11:00:00", ""), ("ComplaintAwaitingCustomer", "2026-11-23T11:05:00", ""),
            ("CallbackLogged", "2026-11-23T12:00:00", #""reached":true,"csat":5"#),
        ])
        defer { f.remove() }
        #expect(r.pauses == [[at("2026-11-23T11:05:00"), at("2026-11-23T12:00:00")]], "\(r.pauses)")
        let close = ComplaintSLA.clocks(r, at: at("2026-11-23T20:00:00"), configuration: SLAConfiguration())[2]
        #expect(close.usedMinutes == 545, "10:00 to 20:00 less the 55-minute wait: \(close)")

        let (u, g) = try record([
            ("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintResolved", "2026-11-23T11:00:00", ""),
            ("ComplaintAwaitingCustomer", "2026-11-23T11:05:00", ""), ("CallbackLogged", "2026-11-23T12:00:00", #""reached":false"#),
        ])
        defer { g.remove() }
        #expect(u.callbackDue && u.calledBackAt == nil && u.callbacks.count == 1)
        #expect(u.pauses == [[at("2026-11-23T11:05:00"), 0]], "nobody answered: still waiting on the customer")
        let row = try #require(ComplaintQueue.rows([u], now: Timestamp(microseconds: at("2026-11-23T13:00:00")), sla: SLAConfiguration()).first)
        #expect(row.nextStep == "callback")
        let agenda = try g.models.careAgenda(now: Timestamp(iso8601: "2026-11-24T09:00:00+08:00")!, configuration: ClienteleConfiguration())
        #expect(agenda.callbacks.map(\.complaint) == ["CP-1"])
        let staff = ServiceReports.staff(complaints: [u], period: nil, at: at("2026-11-24T00:00:00"), sla: SLAConfiguration())
        #expect(staff.first { $0.staff == "staff-1" }?.callbacksMade == 1, "the attempt still counts among the calls made")
    }

    @Test("a clock past its target counts as missed in the staff's hit rate while it runs")
    func breachedCountsAsMissed() throws {
        let (r, f) = try record([("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintAcknowledged", "2026-11-23T10:40:00", "")])
        defer { f.remove() }
        let staff = ServiceReports.staff(complaints: [r], period: nil, at: at("2026-11-25T00:00:00"), sla: SLAConfiguration())
        // Respond met; plan and close past their targets: 1 of 3 (for who handled it; the filer is
        // listed apart).
        #expect(staff.first { $0.complaintsHandled > 0 }?.slaHitRate == 1.0 / 3.0)
    }

    @Test("reopening restarts the close clock and the record is open again; escalation is kept")
    func reopen() throws {
        let (r, f) = try record([
            ("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintAcknowledged", "2026-11-23T10:05:00", ""),
            ("ComplaintEscalated", "2026-11-23T10:30:00", #""to":"manager","reason":"critical""#),
            ("ComplaintResolved", "2026-11-23T15:00:00", ""), ("ComplaintFeedbackReceived", "2026-11-23T16:00:00", #""satisfied":false"#),
            ("ComplaintReopened", "2026-11-24T09:00:00", #""reason":"still broken""#),
        ])
        defer { f.remove() }
        #expect(r.isOpen && r.reopened == 1 && r.escalated && r.satisfied == false)
        #expect(r.status == "reopened")
        let c = ComplaintSLA.clocks(r, at: at("2026-11-24T21:00:00"), configuration: SLAConfiguration())
        #expect(c[2].usedMinutes == 720 && c[2].state == .running, "close counts from the reopening")
        // The first round's clocks stay as they stopped: acknowledged in 5 minutes; no plan, so
        // the plan clock stopped at the resolution, 5 hours on.
        #expect(c[0].state == .met && c[0].usedMinutes == 5)
        #expect(c[1].state == .missed && c[1].usedMinutes == 300)
        #expect(r.handlers == ["staff-1"], "who acknowledged and resolved it")
    }

    @Test("a later step recorded without the earlier ones stops their clocks there: met or missed, never breached on")
    func skippedSteps() throws {
        let (r, f) = try record([
            ("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintVerified", "2026-11-23T10:50:00", ""),
            ("ComplaintResolved", "2026-11-23T16:00:00", #""resolution":"refund""#),
        ])
        defer { f.remove() }
        // Two days later: verifying was the first response (50 minutes, met); the plan came with the
        // resolution (6 h, missed); the close clock runs on until the callback closes it.
        let c = ComplaintSLA.clocks(r, at: at("2026-11-25T10:00:00"), configuration: SLAConfiguration())
        #expect(c[0].state == .met && c[0].usedMinutes == 50)
        #expect(c[1].state == .missed && c[1].usedMinutes == 360)
        #expect(c[2].state == .breached && c[2].usedMinutes == 2880, "\(c)")
        #expect(r.status == "resolved")
    }

    @Test("a resolved complaint's close clock says the same before and after its closing: it stops only then")
    func closeStopsAtClosing() throws {
        let steps = [("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintResolved", "2026-11-23T12:00:00", #""resolution":"refund""#),
                     ("ComplaintClosed", "2026-11-26T10:00:00", "")]
        let (open, f1) = try record(Array(steps.prefix(2)))
        defer { f1.remove() }
        let (closed, f2) = try record(steps)
        defer { f2.remove() }
        let before = ComplaintSLA.clocks(open, at: at("2026-11-23T12:00:00"), configuration: SLAConfiguration())[2]
        #expect(before.state == .running && before.usedMinutes == 120, "resolved, waiting for the callback")
        let waiting = ComplaintSLA.clocks(open, at: at("2026-11-24T10:01:00"), configuration: SLAConfiguration())[2]
        #expect(waiting.state == .breached)
        let after = ComplaintSLA.clocks(closed, at: at("2026-11-27T10:00:00"), configuration: SLAConfiguration())[2]
        #expect(after.state == .missed && after.usedMinutes == 4320)
    }

    @Test("reopening a complaint settled without an acknowledgement leaves its first round met")
    func reopenAfterUnacknowledgedClose() throws {
        let (r, f) = try record([
            ("ComplaintFiled", "2026-11-23T10:00:00", ""), ("ComplaintResolved", "2026-11-23T10:20:00", #""resolution":"refund""#),
            ("ComplaintClosed", "2026-11-23T10:30:00", ""), ("ComplaintReopened", "2026-11-24T11:04:00", #""reason":"still broken""#),
        ])
        defer { f.remove() }
        let c = ComplaintSLA.clocks(r, at: at("2026-11-24T11:05:00"), configuration: SLAConfiguration())
        #expect(c[0].state == .met && c[0].usedMinutes == 20 && c[1].state == .met && c[1].usedMinutes == 20, "\(c)")
        #expect(c[2].state == .running && c[2].usedMinutes == 1)
        #expect(r.status == "reopened")
    }

    @Test("a clock is breached the moment its target has passed, not a minute later")
    func breachToTheSecond() throws {
        let (r, f) = try record([("ComplaintFiled", "2026-11-23T10:00:00", "")])
        defer { f.remove() }
        let on = ComplaintSLA.clocks(r, at: at("2026-11-23T11:00:00"), configuration: SLAConfiguration())[0]
        #expect(on.state == .warning && on.minutesLeft == 0)
        let past = ComplaintSLA.clocks(r, at: at("2026-11-23T11:00:01"), configuration: SLAConfiguration())[0]
        // Past the target by a second: shown a minute over, never "breached, 0 minutes left".
        #expect(past.state == .breached && past.usedMinutes == 61 && past.minutesLeft == -1, "\(past)")
    }

    @Test("targets per category and severity override the defaults")
    func overrides() throws {
        let (r, f) = try record([("ComplaintFiled", "2026-11-23T10:00:00", "")])
        defer { f.remove() }
        var c = SLAConfiguration()
        c.overrides["product-quality"] = .init(respondMinutes: 30, planMinutes: 120, closeMinutes: 480)
        c.overrides["product-quality/critical"] = .init(respondMinutes: 10, planMinutes: 60, closeMinutes: 240)
        #expect(ComplaintSLA.clocks(r, at: at("2026-11-23T10:25:00"), configuration: c)[0].state == .warning)
        #expect(ComplaintSLA.clocks(r, at: at("2026-11-23T10:31:00"), configuration: c)[0].state == .breached)
    }
}


@Suite("Complaints not filed yet")
struct UnfiledComplaintTests {
    /// A resolution recorded before its filing (an import out of order; or a view as of a sequence
    /// number between the two) makes a record with no filing: not a complaint open since 1970.
    @Test("a complaint whose filing is not folded in yet is in no queue, breach or staff report")
    func unfiled() {
        var early = ComplaintRecord(complaint: "CP-9")
        early.resolvedAt = Timestamp(iso8601: "2026-03-02T10:00:00+08:00")!.microseconds
        early.resolvedBy = "staff-1"; early.handlers = ["staff-1"]
        var filed = early
        filed.customer = "C-1"; filed.store = "S1"
        filed.filedAt = Timestamp(iso8601: "2026-03-01T10:00:00+08:00")!.microseconds; filed.roundStartedAt = filed.filedAt
        let now = Timestamp(iso8601: "2026-03-05T10:00:00+08:00")!
        #expect(!early.isFiled && filed.isFiled)
        #expect(ComplaintQueue.rows([early], now: now, sla: SLAConfiguration(), status: .all).isEmpty)
        #expect(ComplaintQueue.rows([filed], now: now, sla: SLAConfiguration(), status: .all).map(\.record.complaint) == ["CP-9"])
        #expect(ServiceReports.staff(complaints: [early], period: nil, at: now.microseconds, sla: SLAConfiguration()).isEmpty)
    }
}
