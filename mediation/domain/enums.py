"""The field's vocabularies. Each member owns its (English) label; the UI translates it."""

from __future__ import annotations

import enum

from .i18n import N_


class LabelledEnum(enum.StrEnum):
    """A string enum whose members carry a label: ``CaseStatus.in_mediation.label``."""

    label: str

    def __new__(cls, value: str, label: str):
        member = str.__new__(cls, value)
        member._value_ = value
        member.label = label
        return member

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(member.value, member.label) for member in cls]

    @classmethod
    def parse(cls, value: object):
        """The member named ``value``, or None."""
        try:
            return cls(value)
        except ValueError:
            return None


class Level(LabelledEnum):
    """A level of the unit tree, and so also the kind of a unit. Ordered bottom-up."""

    village = "village", N_("Village")
    township = "township", N_("Township")
    county = "county", N_("County")

    @property
    def rank(self) -> int:
        return _LEVEL_ORDER.index(self)

    @property
    def parent_level(self) -> Level | None:
        return _LEVEL_ORDER[self.rank + 1] if self.rank + 1 < len(_LEVEL_ORDER) else None

    @property
    def child_level(self) -> Level | None:
        return _LEVEL_ORDER[self.rank - 1] if self.rank > 0 else None


_LEVEL_ORDER = [Level.village, Level.township, Level.county]


class Role(LabelledEnum):
    mediator = "mediator", N_("Village mediator")
    township_officer = "township_officer", N_("Township officer")
    county_officer = "county_officer", N_("County officer")
    viewer = "viewer", N_("Viewer")
    admin = "admin", N_("Administrator")

    @property
    def unit_levels(self) -> tuple[Level, ...]:
        """The kinds of unit a user of this role may be bound to."""
        return _ROLE_UNIT_LEVELS[self]

    @property
    def registers_cases(self) -> bool:
        return self in (Role.mediator, Role.township_officer, Role.county_officer)


_ROLE_UNIT_LEVELS = {
    Role.mediator: (Level.village,),
    Role.township_officer: (Level.township,),
    Role.county_officer: (Level.county,),
    Role.viewer: (Level.county, Level.township),
    Role.admin: (Level.county,),
}


class CaseStatus(LabelledEnum):
    registered = "registered", N_("Registered")
    in_mediation = "in_mediation", N_("In mediation")
    paused = "paused", N_("Paused")
    resolved = "resolved", N_("Resolved")
    closed = "closed", N_("Closed")
    referred = "referred", N_("Referred")
    withdrawn = "withdrawn", N_("Withdrawn")
    # A duplicate merged into another case (并单): concluded, never resolved, counted nowhere.
    merged = "merged", N_("Merged into another case")

    @property
    def is_open(self) -> bool:
        return self in OPEN_STATUSES


# A case is open until it is concluded: resolved (then closed after the follow-up visit),
# referred or withdrawn.
OPEN_STATUSES = frozenset({CaseStatus.registered, CaseStatus.in_mediation, CaseStatus.paused})
CONCLUDED_STATUSES = frozenset(CaseStatus) - OPEN_STATUSES


class Scale(LabelledEnum):
    """小事 / 大事 / 重大: the scale names the case's home level."""

    small = "small", N_("Small")
    big = "big", N_("Big")
    major = "major", N_("Major")

    @property
    def home_level(self) -> Level:
        return {Scale.small: Level.village, Scale.big: Level.township, Scale.major: Level.county}[
            self
        ]


class Category(LabelledEnum):
    marriage_family = "marriage_family", N_("Marriage and family")
    neighbor = "neighbor", N_("Neighbours")
    housing_homestead = "housing_homestead", N_("Housing and homestead")
    contract = "contract", N_("Contract")
    business = "business", N_("Production and business")
    damages = "damages", N_("Damages")
    land_forest = "land_forest", N_("Land and forest")
    land_acquisition = "land_acquisition", N_("Land acquisition and demolition")
    environment = "environment", N_("Environmental pollution")
    labor = "labor", N_("Labour dispute")
    consumer = "consumer", N_("Consumer")
    medical = "medical", N_("Medical")
    traffic = "traffic", N_("Road traffic accident")
    property_mgmt = "property_mgmt", N_("Property management")
    village_affairs = "village_affairs", N_("Village affairs")
    other = "other", N_("Other")


class Source(LabelledEnum):
    party_application = "party_application", N_("Application by a party")
    own_initiative = "own_initiative", N_("Found by screening")
    police_referral = "police_referral", N_("Referred by police")
    court_commission = "court_commission", N_("Commissioned by court")
    government_assignment = "government_assignment", N_("Assigned by a department")
    hotline = "hotline", N_("12345 hotline")
    grid_report = "grid_report", N_("Reported by grid worker")
    petition_office = "petition_office", N_("Transferred by petition office")


class PartyRole(LabelledEnum):
    applicant = "applicant", N_("Applicant")
    respondent = "respondent", N_("Respondent")
    other = "other", N_("Other party")


class Risk(LabelledEnum):
    violence = "violence", N_("Violence risk")
    group_incident = "group_incident", N_("Group-incident risk")
    petition = "petition", N_("Petition risk")
    vulnerable_party = "vulnerable_party", N_("Vulnerable party")
    multi_village = "multi_village", N_("Spans several villages")
    multi_township = "multi_township", N_("Spans several townships")


class Action(LabelledEnum):
    """What can happen to a case; each is one event in its history."""

    register = "register", N_("Registered")
    accept = "accept", N_("Accepted")
    pause = "pause", N_("Paused")
    resume = "resume", N_("Resumed")
    resolve = "resolve", N_("Resolved")
    escalate = "escalate", N_("Escalated")
    assign_down = "assign_down", N_("Assigned down")
    refer = "refer", N_("Referred")
    withdraw = "withdraw", N_("Withdrawn")
    follow_up = "follow_up", N_("Follow-up visit")
    reopen = "reopen", N_("Reopened")
    extend = "extend", N_("Time limit extended")
    reclassify = "reclassify", N_("Scale changed")
    report = "report", N_("Reported to the county")
    take_over = "take_over", N_("Taken over")
    merge = "merge", N_("Merged as a duplicate")
    merged_in = "merged_in", N_("Duplicate merged in")
    session = "session", N_("Mediation session")
    attach = "attach", N_("File attached")


class Clock(LabelledEnum):
    """The clocks of docs/rules.md#clocks."""

    accept = "accept", N_("Accept")
    settle = "settle", N_("Settle")
    statutory = "statutory", N_("One-month limit")
    major_report = "major_report", N_("Report a major case")
    follow_up = "follow_up", N_("Follow-up visit")
    judicial_confirmation = "judicial_confirmation", N_("Judicial confirmation window")


class AttachmentKind(LabelledEnum):
    """What a file attached to a case is (the case file's evidence and documents)."""

    photo = "photo", N_("Photo")
    agreement_scan = "agreement_scan", N_("Scan of the signed agreement")
    evidence = "evidence", N_("Evidence")
    id_document = "id_document", N_("Identity document")
    other = "other", N_("Other document")


class AgreementForm(LabelledEnum):
    written = "written", N_("Written agreement")
    oral = "oral", N_("Oral agreement")


class ReferralTarget(LabelledEnum):
    court = "court", N_("Court")
    police = "police", N_("Police")
    arbitration = "arbitration", N_("Arbitration")
    administrative = "administrative", N_("Administrative body")


class CaseNews(LabelledEnum):
    """What the officers above a case are told of it besides its flags: a big or major case
    is everyone's business above the village from the moment it is registered (docs/rules.md)."""

    big_case_registered = "big_case_registered", N_("Big case registered")
    major_case_registered = "major_case_registered", N_("Major case registered")
    major_case_reported = "major_case_reported", N_("Major case reported")
    supervision = "supervision", N_("Supervision notice")
    supervision_reminder = "supervision_reminder", N_("Supervision reminder")
    supervision_circulated = "supervision_circulated", N_("Supervision circulated")
    case_merged = "case_merged", N_("Duplicate case merged")


class PetitionLevel(LabelledEnum):
    """Where a petition (上访) was lodged; above the county it is 矛盾上交."""

    township = "township", N_("Township")
    county = "county", N_("County")
    city = "city", N_("City")
    province = "province", N_("Province")
    national = "national", N_("National")

    @property
    def is_above_county(self) -> bool:
        return self in (PetitionLevel.city, PetitionLevel.province, PetitionLevel.national)


class IncidentKind(LabelledEnum):
    petition = "petition", N_("Petition")
    accident = "accident", N_("Accident")
    criminal = "criminal", N_("Criminal case")
    public_order = "public_order", N_("Major public-order case")


class FlagKind(LabelledEnum):
    accept_overdue = "accept_overdue", N_("Not accepted in time")
    settle_warning = "settle_warning", N_("Settle time nearly used")
    settle_breached = "settle_breached", N_("Settle time exceeded")
    statutory_overdue = "statutory_overdue", N_("Past the one-month limit")
    small_left_village = "small_left_village", N_("Small matter left the village")
    big_left_township = "big_left_township", N_("Big matter left the township")
    pushed_up = "pushed_up", N_("Dispute pushed up")
    major_not_reported = "major_not_reported", N_("Major case not reported")
    follow_up_overdue = "follow_up_overdue", N_("Follow-up visit overdue")
    screening_missing = "screening_missing", N_("Monthly screening missing")

    @property
    def is_rule_violation(self) -> bool:
        """A breach of 小事不出村、大事不出乡、矛盾不上交 itself."""
        return self in RULE_VIOLATIONS


RULE_VIOLATIONS = frozenset(
    {FlagKind.small_left_village, FlagKind.big_left_township, FlagKind.pushed_up}
)
