"""`schoolmh referrals list|add|decide|withdraw|delete`: the pupil record's Referrals tab, scripted.

The same services as the window (services.referrals): a decision is added to the
referral's dated history and never changes what it was sent for; a referral made
by mistake is withdrawn, or deleted by a lead. Referrals are named by the id
`referrals list` prints.
"""
from __future__ import annotations

from schoolmh.cli.common import out, signed_in
from schoolmh.cli.options import command_group, pupil_uuid
from schoolmh.domain.codes import REFERRAL_DECISIONS, REFERRAL_DESTINATIONS
from schoolmh.services import referrals
from schoolmh.services.fieldcheck import code_for, to_date


def _day(text: str | None, flag: str):
    return to_date(text, flag.lstrip("-"))


def _lines(r: referrals.ReferralInfo) -> list[str]:
    status = REFERRAL_DECISIONS.get(r.decision, r.decision)
    lines = [f"{r.uuid}  {REFERRAL_DESTINATIONS.get(r.destination, r.destination)}, sent {r.sent_on:%d/%m/%Y}: "
             f"{status} ({r.waiting_days} days{' so far' if r.pending else ''})"]
    if r.reason or r.next_step:
        lines.append("    sent for: " + "; next step: ".join(x for x in (r.reason, r.next_step) if x))
    for d in r.decisions:
        extra = "; ".join(x for x in (d.reason, f"next step: {d.next_step}" if d.next_step else "") if x)
        lines.append(f"    {d.decided_on:%d/%m/%Y} {REFERRAL_DECISIONS.get(d.decision, d.decision)}"
                     + (f": {extra}" if extra else ""))
    return lines


def cmd_list(args) -> int:
    with signed_in(args) as session:
        rows = referrals.list_referrals(session, pupil_uuid(session, args.upn))
    if not rows:
        out("No referrals.")
    for r in reversed(rows):  # oldest first, as the history reads
        for line in _lines(r):
            out(line)
    return 0


def cmd_add(args) -> int:
    with signed_in(args) as session:
        r = referrals.create_referral(session, pupil_uuid(session, args.upn),
                                      code_for(args.to, REFERRAL_DESTINATIONS) or args.to,
                                      _day(args.sent, "--sent") or session.today(), args.reason or "",
                                      args.next_step or "")
    out(f"Referral recorded: {r.uuid}" + (" (the pupil is now shared with the MHST)" if r.destination == "mhst" else ""))
    return 0


def cmd_decide(args) -> int:
    with signed_in(args) as session:
        r = referrals.record_decision(session, args.referral, code_for(args.decision, REFERRAL_DECISIONS) or args.decision,
                                      _day(args.on, "--on") or session.today(), args.reason or "", args.next_step or "")
    out(f"Decision added: {REFERRAL_DECISIONS[r.latest.decision]} on {r.latest.decided_on:%d/%m/%Y} "
        f"({len(r.decisions)} in the history).")
    return 0


def cmd_withdraw(args) -> int:
    with signed_in(args) as session:
        r = referrals.withdraw_referral(session, args.referral, _day(args.on, "--on"), args.reason or "")
    out(f"Referral withdrawn on {r.decision_on:%d/%m/%Y}; it stays on the record.")
    return 0


def cmd_delete(args) -> int:
    with signed_in(args) as session:
        plan = referrals.deletion_preview(session, args.referral)
        referrals.delete_referral(session, args.referral, unshare_pupil=args.unshare)
    out("Referral deleted (the audit trail keeps that it was).")
    if plan.unshares_pupil:
        out("The pupil is no longer shared with the MHST." if args.unshare else
            "This referral alone had shared the pupil with the MHST; they are still shared "
            "(run again with --unshare, or stop sharing on the pupil record).")
    return 0


def register(sub, common) -> None:
    group = command_group(sub, "referrals", "list, add, decide, withdraw or delete a pupil's referrals", "referrals_action")
    p = group.add_parser("list", parents=[common], help="a pupil's referrals with their dated decisions")
    p.add_argument("upn")
    p.set_defaults(func=cmd_list)
    p = group.add_parser("add", parents=[common], help="record a referral sent (MHST: shares the pupil with the MHST)")
    p.add_argument("upn")
    p.add_argument("--to", required=True, help="service: " + ", ".join(REFERRAL_DESTINATIONS))
    p.add_argument("--sent", metavar="DATE", help="date sent (YYYY-MM-DD or dd/mm/yyyy; default today)")
    p.add_argument("--reason", help="why the pupil is referred")
    p.add_argument("--next-step")
    p.set_defaults(func=cmd_add)
    p = group.add_parser("decide", parents=[common], help="add the service's decision to a referral's history")
    p.add_argument("referral", help="the id 'referrals list' prints")
    p.add_argument("--decision", required=True,
                   help="one of: " + ", ".join(c for c in REFERRAL_DECISIONS if c != "pending"))
    p.add_argument("--on", metavar="DATE", help="decision date (default today)")
    p.add_argument("--reason", help="needed for not_accepted, e.g. 'above remit', 'below threshold'")
    p.add_argument("--next-step")
    p.set_defaults(func=cmd_decide)
    p = group.add_parser("withdraw", parents=[common], help="withdraw a referral (e.g. made by mistake); it stays listed")
    p.add_argument("referral")
    p.add_argument("--on", metavar="DATE", help="date withdrawn (default today)")
    p.add_argument("--reason")
    p.set_defaults(func=cmd_withdraw)
    p = group.add_parser("delete", parents=[common], help="delete a referral made by mistake (lead; audited)")
    p.add_argument("referral")
    p.add_argument("--unshare", action="store_true",
                   help="also stop sharing the pupil with the MHST when this referral alone shared them")
    p.set_defaults(func=cmd_delete)
