"""Configuration: one TOML file plus ``BREAKGLASS_*`` environment overrides.

The file declares the tenant, how to reach Graph, the emergency-account inventory and the
thresholds the checks use. ``load_settings`` turns every problem into a ``ConfigError``
that names the field (``accounts.1.object_id: …``), so ``breakglass`` can exit 2 with a
message a person can act on. Secrets (client secret, static token, certificate password)
may come from the environment; in the file they are accepted only when the file is not
readable by other users, and obvious placeholders are refused wherever they come from.
"""

from __future__ import annotations

import copy
import json
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, get_args
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from breakglass.errors import ConfigError

__all__ = [
    "DEFAULT_ROLE_MAP",
    "SENSITIVE_ROLES",
    "AcceptedRisk",
    "AccessRole",
    "Account",
    "AuthSettings",
    "ChannelKind",
    "ChannelSettings",
    "Cloud",
    "CredentialKind",
    "CredentialSettings",
    "Custodian",
    "RunbookContact",
    "RunbookContacts",
    "RunbookSettings",
    "ServiceSettings",
    "Settings",
    "find_config",
    "load_settings",
    "require_accounts",
    "secret_fields",
]

GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
PRIVILEGED_ROLE_ADMIN = "e8611ab8-c189-46e8-94e1-60213ab1f814"

#: Sensitive directory roles by template id (DESIGN §7). Configurable via ``roles.sensitive``.
SENSITIVE_ROLES: dict[str, str] = {
    GLOBAL_ADMIN: "Global Administrator",
    PRIVILEGED_ROLE_ADMIN: "Privileged Role Administrator",
    "7be44c8a-adaf-4e2a-84d6-ab2649e08a13": "Privileged Authentication Administrator",
    "b1be1c3e-b65d-4f19-8427-f6fa0d97feb9": "Conditional Access Administrator",
    "194ae4cb-b126-40b2-bd5b-6091b380977d": "Security Administrator",
    "9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3": "Application Administrator",
    "158c047a-c907-4556-b7ef-446551a6b5f7": "Cloud Application Administrator",
    "8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2": "Hybrid Identity Administrator",
    "fe930be7-5e62-47db-91af-98c3a49a38b1": "User Administrator",
    "0526716b-113d-4c15-b2c8-68e3c22b9f80": "Authentication Policy Administrator",
    "3a2c62db-5318-420d-8d74-23affee5d9d5": "Intune Administrator",
    "d2562ede-74db-457e-a7b6-544e236ebb61": "AI Administrator",
    "db506228-d27e-4b7d-95e5-295956d6615f": "Agent ID Administrator",
}

_PLACEHOLDER = re.compile(
    r"^\s*$|^<.*>$|^\$\{.*\}$|change[-_ ]?me|placeholder|your[-_ ]?(client[-_ ]?)?secret|"
    r"^x{3,}$|^todo$|^secret$|^password$|^replace",
    re.IGNORECASE,
)
_SECRET_FIELDS = ("client_secret", "token", "certificate_password")


class Cloud(StrEnum):
    """Microsoft national clouds (DESIGN §5)."""

    GLOBAL = "global"
    USGOV = "usgov"
    USGOV_DOD = "usgov-dod"
    CHINA = "china"


class CredentialKind(StrEnum):
    CERTIFICATE = "certificate"
    MANAGED_IDENTITY = "managed_identity"
    WORKLOAD_IDENTITY = "workload_identity"
    CLIENT_SECRET = "client_secret"  # noqa: S105 - a credential kind, not a secret
    AZURE_CLI = "azure_cli"
    STATIC_TOKEN = "static_token"  # noqa: S105 - a credential kind, not a secret


class _Strict(BaseModel):
    # No inf/nan: an infinite interval or threshold would overflow the first timedelta.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def _real_secret(value: SecretStr | None) -> SecretStr | None:
    """Refuse obvious placeholders (``changeme``, ``<secret>``) wherever a secret is set."""
    if value is not None and _PLACEHOLDER.search(value.get_secret_value()):
        raise ValueError("is a placeholder, not a real secret")
    return value


def secret_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The fields of ``model`` typed ``SecretStr`` (optional or not), in declaration order.

    THE list of a settings type's secrets: placeholder refusal, the world-readable-file
    refusal and the notification error scrubber all derive theirs from it, so a new secret
    field cannot be forgotten by one of them.
    """

    def holds_secret(annotation: Any) -> bool:
        return annotation is SecretStr or any(holds_secret(a) for a in get_args(annotation))

    return tuple(name for name, info in model.model_fields.items() if holds_secret(info.annotation))


def _guid(value: str) -> str:
    try:
        return str(UUID(value))
    except (ValueError, AttributeError, TypeError):
        # The value is not echoed: a secret pasted into the wrong field must not be printed.
        raise ValueError("is not a GUID (8-4-4-4-12 hexadecimal digits)") from None


Guid = Annotated[str, Field(min_length=36, max_length=36)]


class TenantSettings(_Strict):
    id: Guid
    name: str | None = None
    cloud: Cloud = Cloud.GLOBAL
    #: Graph base URL without the version segment, e.g. ``http://127.0.0.1:8400`` for the
    #: simulator or a proxy. Overrides the cloud's Graph host.
    graph_url: str | None = None

    _check_id = field_validator("id")(lambda v: _guid(v))

    @field_validator("graph_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is None:
            return v
        if not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", v):
            raise ValueError("must be an http(s) URL such as https://graph.microsoft.com")
        v = v.rstrip("/")
        if v.endswith(("/v1.0", "/beta")):
            raise ValueError("give the host only; the version segment is added per request")
        return v


class CredentialSettings(_Strict):
    kind: CredentialKind
    client_id: str | None = None
    certificate_path: Path | None = None
    certificate_password: SecretStr | None = None
    client_secret: SecretStr | None = None
    #: A pre-obtained bearer token (``static_token``); prefer BREAKGLASS_CREDENTIAL__TOKEN.
    token: SecretStr | None = None
    #: Authority override (https), e.g. the simulator's token endpoint.
    authority: str | None = None
    #: CA bundle that signs the authority's TLS certificate (simulator, TLS-inspecting proxy).
    ca_bundle: Path | None = None
    federated_token_file: Path | None = None

    @field_validator("client_id")
    @classmethod
    def _client_id(cls, v: str | None) -> str | None:
        return None if v is None else _guid(v)

    @field_validator("authority")
    @classmethod
    def _authority(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("https://"):
            raise ValueError("must be an https URL (Entra and MSAL refuse plain http)")
        return v.rstrip("/") if v else v

    _no_placeholder = field_validator(*_SECRET_FIELDS)(lambda v: _real_secret(v))

    @model_validator(mode="after")
    def _complete(self) -> CredentialSettings:
        need: dict[CredentialKind, tuple[str, ...]] = {
            CredentialKind.CERTIFICATE: ("client_id", "certificate_path"),
            CredentialKind.CLIENT_SECRET: ("client_id", "client_secret"),
            CredentialKind.STATIC_TOKEN: ("token",),
        }
        for name in need.get(self.kind, ()):
            if getattr(self, name) is None:
                raise ValueError(f"credential kind {self.kind.value!r} needs {name!r}")
        return self


class Custodian(_Strict):
    name: str = Field(min_length=1)
    email: str | None = None
    #: An out-of-band contact (phone) that works when Entra, Teams and mail are down.
    phone: str | None = None
    role: str | None = None


class Account(_Strict):
    upn: str = Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    object_id: Guid
    display_name: str | None = None
    custodians: list[Custodian] = Field(default_factory=list)
    credential_location: str | None = None
    key_label: str | None = None

    _check_id = field_validator("object_id")(lambda v: _guid(v))

    @field_validator("upn")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class AcceptedRisk(_Strict):
    check_id: str = Field(pattern=r"^BG-\d{3}$")
    resource_id: str = Field(min_length=1)
    reason: str = Field(min_length=1)
    owner: str = Field(min_length=1)
    expires: date


class Thresholds(_Strict):
    @model_validator(mode="before")
    @classmethod
    def _moved(cls, data: Any) -> Any:
        if isinstance(data, dict) and "poll_interval_seconds" in data:
            raise ValueError("poll_interval_seconds moved to [watch] poll_seconds")
        return data

    validation_days: int = Field(90, ge=1, le=3650)
    max_activation_hours: float = Field(4, gt=0, le=24)
    ga_min: int = Field(2, ge=1)
    ga_max: int = Field(8, ge=1)
    min_healthy_accounts: int = Field(2, ge=1)
    session_gap_hours: float = Field(4, gt=0, le=24 * 30)
    submit_hours: float = Field(24, gt=0, le=24 * 365)
    approve_hours: float = Field(72, gt=0, le=24 * 365)
    overlap_hours: float = Field(2, ge=0, le=24 * 30)
    runbook_valid_days: int = Field(90, ge=1, le=3650)


class RolesSettings(_Strict):
    sensitive: list[str] = Field(default_factory=lambda: list(SENSITIVE_ROLES))
    approval_required: list[str] = Field(
        default_factory=lambda: [GLOBAL_ADMIN, PRIVILEGED_ROLE_ADMIN]
    )

    @field_validator("sensitive", "approval_required")
    @classmethod
    def _guids(cls, v: list[str]) -> list[str]:
        return [_guid(x) for x in v]


class StoreSettings(_Strict):
    url: str = "sqlite:///breakglass.db"


class SigningSettings(_Strict):
    key_path: Path = Path("keys/runbook-signing.key.pem")
    certificate_path: Path = Path("keys/runbook-signing.cert.pem")
    organisation: str = "breakglass"


class ChannelKind(StrEnum):
    SMTP = "smtp"
    TEAMS = "teams"
    SLACK = "slack"
    WEBHOOK = "webhook"


class ChannelSettings(_Strict):
    """One notification channel. Webhook URLs carry a token: they are secrets too."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")
    kind: ChannelKind
    #: Event types routed here (``signin``, ``review_opened``, ``review_overdue``,
    #: ``monitor_blind``, ``review_transition``, …); ``*`` means all.
    events: list[str] = Field(default_factory=lambda: ["*"])
    # SMTP
    host: str | None = None
    port: int = Field(587, ge=1, le=65535)
    starttls: bool = True
    username: str | None = None
    password: SecretStr | None = None
    sender: str | None = None
    recipients: list[str] = Field(default_factory=list)
    # Teams, Slack, generic webhook
    url: SecretStr | None = None
    #: Generic webhook: HMAC-SHA256 key for the signature header.
    hmac_secret: SecretStr | None = None
    #: CA bundle for a TLS endpoint signed by a private CA (tests, inspection proxies).
    ca_bundle: Path | None = None
    timeout_seconds: float = Field(10, gt=0, le=120)

    # Every SecretStr field (``secret_fields``), not a list that a new field could miss.
    _no_placeholder = field_validator("*")(
        lambda v: _real_secret(v) if isinstance(v, SecretStr) else v
    )

    @model_validator(mode="after")
    def _complete(self) -> ChannelSettings:
        if self.kind is ChannelKind.SMTP:
            if not self.host or not self.sender or not self.recipients:
                raise ValueError("an smtp channel needs host, sender and recipients")
        elif self.url is None:
            raise ValueError(f"a {self.kind.value} channel needs url")
        elif not re.match(r"^https?://", self.url.get_secret_value()):
            raise ValueError("url must be an http(s) URL")
        if self.kind is ChannelKind.WEBHOOK and self.hmac_secret is None:
            raise ValueError("a webhook channel needs hmac_secret (receivers verify the signature)")
        return self


class NotificationSettings(_Strict):
    channels: list[ChannelSettings] = Field(default_factory=list)
    #: Channels that receive overdue-review escalations (default: every channel).
    escalation_channels: list[str] = Field(default_factory=list)
    max_attempts: int = Field(10, ge=1, le=100)
    #: IANA time zone that alerts show next to UTC (``Europe/Oslo``); UTC alone by default.
    timezone: str = "UTC"

    @field_validator("timezone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "is not an IANA time zone name (for example Europe/Oslo or UTC)"
            ) from None
        return value

    @model_validator(mode="after")
    def _known_names(self) -> NotificationSettings:
        names = [c.name for c in self.channels]
        if len(names) != len(set(names)):
            raise ValueError("channel names must be unique")
        unknown = set(self.escalation_channels) - set(names)
        if unknown:
            raise ValueError(f"escalation_channels names unknown channels: {sorted(unknown)}")
        return self


class WatchSettings(_Strict):
    #: Seconds between sign-in polls (``serve``, ``watch``). Graph makes most sign-ins
    #: visible within minutes; polling faster than every 30 s mostly spends throttling budget.
    poll_seconds: int = Field(60, ge=1, le=3600)
    #: Also poll beta non-interactive sign-ins (token refreshes and the like).
    non_interactive: bool = True
    #: Sign-in log retention (days): the first poll covers this whole window.
    retention_days: int = Field(30, ge=1, le=30)
    #: Re-read the whole retention window at least this often (minutes), so a sign-in that
    #: Graph shows later than ``[thresholds] overlap_hours`` is still stored and alerted
    #: within this time. The read is filtered to the emergency accounts, so it is cheap;
    #: lower it for faster late alerts, raise it to spend less of Graph's throttling budget.
    #: The soak test (tests/support/soak.py) compresses time with it too.
    deep_read_minutes: float = Field(60, gt=0, le=1440)


class AuditSettings(_Strict):
    #: Where signed checkpoints are exported (outside the database).
    checkpoint_dir: Path = Path("audit-checkpoints")
    #: Ed25519 key that signs checkpoints; keep it away from the database's administrators.
    checkpoint_key_path: Path = Path("keys/audit-checkpoint.key.pem")


class AccessRole(StrEnum):
    """What a principal of the service may do (DESIGN §13). Every role reads."""

    VIEWER = "viewer"  # reads
    OPERATOR = "operator"  # submits reviews, runs checks, schedules drills
    APPROVER = "approver"  # approves, reopens, closes reviews
    ADMIN = "admin"  # builds runbooks, manages API tokens, tests notifications


#: Entra app roles (the ``roles`` claim) → service roles, unless ``[auth] role_map`` says otherwise.
DEFAULT_ROLE_MAP: dict[str, AccessRole] = {
    "Breakglass.Viewer": AccessRole.VIEWER,
    "Breakglass.Operator": AccessRole.OPERATOR,
    "Breakglass.Approver": AccessRole.APPROVER,
    "Breakglass.Admin": AccessRole.ADMIN,
}


class AuthSettings(_Strict):
    """``[auth]``: who may call the API and sign in to the console (DESIGN §13).

    Bearer tokens from Entra are accepted when ``api_audience`` is set; people sign in to
    the console when ``web_client_id`` is set. Service API tokens (``breakglass tokens``)
    always work.
    """

    #: Accepted ``aud`` values of Entra access tokens: the API app's client id and/or its
    #: application ID URI (``api://…``). Empty: Entra bearer tokens are refused.
    api_audience: list[str] = Field(default_factory=list)
    #: The console's app registration (a confidential web client with a redirect URI of
    #: ``{public_url}/auth/callback``). Empty: browser sign-in is off.
    web_client_id: str | None = None
    web_client_secret: SecretStr | None = None
    #: Authority override (https), e.g. the simulator; default: the tenant's cloud.
    authority: str | None = None
    #: CA bundle that signs the authority's TLS certificate (simulator, inspection proxy).
    ca_bundle: Path | None = None
    #: Entra app role value → service role.
    role_map: dict[str, AccessRole] = Field(default_factory=lambda: dict(DEFAULT_ROLE_MAP))
    #: Browser sessions end after this many hours (sign in again).
    session_hours: float = Field(8, gt=0, le=24 * 7)

    _no_placeholder = field_validator("web_client_secret")(lambda v: _real_secret(v))

    @field_validator("authority")
    @classmethod
    def _authority(cls, v: str | None) -> str | None:
        if v is not None and not v.startswith("https://"):
            raise ValueError("must be an https URL (Entra and MSAL refuse plain http)")
        return v.rstrip("/") if v else v

    @field_validator("web_client_id")
    @classmethod
    def _client_id(cls, v: str | None) -> str | None:
        return None if v is None else _guid(v)


class ServiceSettings(_Strict):
    """``[service]``: ``breakglass serve`` — listener, schedule, cookies, metrics."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    #: The URL people reach the console at (behind a proxy: the proxy's https URL); the
    #: sign-in redirect URI is ``{public_url}/auth/callback``. Default: http://host:port.
    public_url: str | None = None
    #: Signs session cookies and CSRF tokens; every replica needs the same value (32+ chars).
    #: Without it, each process makes a random one and browser sessions end at restart.
    session_secret: SecretStr | None = None
    #: When set, ``/metrics`` needs ``Authorization: Bearer <metrics_token>``.
    metrics_token: SecretStr | None = None
    check_minutes: float = Field(60, gt=0, le=7 * 24 * 60)
    sweep_seconds: float = Field(300, gt=0, le=24 * 3600)
    dispatch_seconds: float = Field(5, gt=0, le=3600)
    checkpoint_minutes: float = Field(60, gt=0, le=7 * 24 * 60)
    #: A follower tries to become the leader this often (PostgreSQL).
    leader_retry_seconds: float = Field(5, gt=0, le=3600)
    #: Failed token authentications allowed per client address and minute (then 429).
    auth_failures_per_minute: int = Field(20, ge=1)

    _no_placeholder = field_validator("session_secret", "metrics_token")(lambda v: _real_secret(v))

    @field_validator("session_secret")
    @classmethod
    def _long(cls, v: SecretStr | None) -> SecretStr | None:
        if v is not None and len(v.get_secret_value()) < 32:
            raise ValueError("must be at least 32 characters (it signs session cookies)")
        return v

    @field_validator("public_url")
    @classmethod
    def _url(cls, v: str | None) -> str | None:
        if v is not None and not re.match(r"^https?://[^/\s]+(/[^\s]*)?$", v):
            raise ValueError("must be an http(s) URL such as https://breakglass.contoso.com")
        return v.rstrip("/") if v else v

    @property
    def base_url(self) -> str:
        return self.public_url or f"http://{self.host}:{self.port}"


class GraphTuning(_Strict):
    concurrency: int = Field(4, ge=1, le=32)
    page_size: int = Field(999, ge=1, le=999)
    timeout_seconds: float = Field(60, gt=0, le=3600)


class RunbookContact(_Strict):
    """One contact printed in the runbook's notification list (out-of-band: a phone)."""

    name: str = Field(min_length=1)
    #: Works when Entra ID, Teams and mail do not.
    phone: str | None = None
    email: str | None = None

    @model_validator(mode="after")
    def _reachable(self) -> RunbookContact:
        if not (self.phone or self.email):
            raise ValueError("give a phone (out-of-band) or an email")
        return self


class RunbookContacts(_Strict):
    """Who the runbook tells to call; the procedure's notify list names them by key."""

    soc: RunbookContact | None = None
    ciso: RunbookContact | None = None
    identity_owner: RunbookContact | None = None
    legal: RunbookContact | None = None


class RunbookSettings(_Strict):
    """``[runbook]``: what the printed runbook needs besides the accounts (README)."""

    #: Print blank lines to fill in by hand where a contact, custodian role or key label is
    #: not configured (otherwise the runbook prints "not configured").
    handwritten_blanks: bool = False
    contacts: RunbookContacts = Field(default_factory=RunbookContacts)


class Settings(BaseSettings):
    """The whole configuration. Build it with ``load_settings``; never at import time."""

    model_config = SettingsConfigDict(
        env_prefix="BREAKGLASS_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    tenant: TenantSettings
    credential: CredentialSettings
    accounts: list[Account] = Field(default_factory=list)
    exclusion_groups: list[str] = Field(default_factory=list)
    allowed_policies: list[str] = Field(default_factory=list)
    thresholds: Thresholds = Field(default_factory=Thresholds)
    roles: RolesSettings = Field(default_factory=RolesSettings)
    accepted_risks: list[AcceptedRisk] = Field(default_factory=list)
    store: StoreSettings = Field(default_factory=StoreSettings)
    signing: SigningSettings = Field(default_factory=SigningSettings)
    graph: GraphTuning = Field(default_factory=GraphTuning)
    notifications: NotificationSettings = Field(default_factory=NotificationSettings)
    watch: WatchSettings = Field(default_factory=WatchSettings)
    audit: AuditSettings = Field(default_factory=AuditSettings)
    runbook: RunbookSettings = Field(default_factory=RunbookSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    service: ServiceSettings = Field(default_factory=ServiceSettings)
    #: Where the file came from; relative paths in it resolve against its folder.
    config_path: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment overrides the file (the file arrives as init kwargs). Indexed variables
        # (BREAKGLASS_ACCOUNTS__0__UPN) are merged into the file's lists by
        # ``settings_from_dict``; pydantic-settings would read them as a dict and fail.
        if isinstance(env_settings, EnvSettingsSource):
            env_settings.env_vars = {
                k: v for k, v in env_settings.env_vars.items() if not _INDEXED_ENV.search(k)
            }
        return (env_settings, init_settings)

    @field_validator("exclusion_groups", "allowed_policies")
    @classmethod
    def _guid_list(cls, v: list[str]) -> list[str]:
        return [_guid(x) for x in v]

    @model_validator(mode="after")
    def _consistent(self) -> Settings:
        seen: set[str] = set()
        upns: set[str] = set()
        for index, account in enumerate(self.accounts):
            if account.object_id in seen:
                raise ValueError(
                    f"accounts.{index}.object_id: account {account.object_id} is declared twice"
                )
            seen.add(account.object_id)
            if account.upn.casefold() in upns:
                raise ValueError(
                    f"accounts.{index}.upn: {account.upn} is declared twice "
                    "(user principal names compare case-insensitively)"
                )
            upns.add(account.upn.casefold())
        if self.thresholds.ga_min > self.thresholds.ga_max:
            raise ValueError("thresholds.ga_min is larger than thresholds.ga_max")
        return self

    @property
    def base_dir(self) -> Path:
        return self.config_path.parent if self.config_path else Path.cwd()

    def resolve(self, path: Path) -> Path:
        """A path from the file, resolved against the file's folder."""
        return path if path.is_absolute() else self.base_dir / path

    @property
    def store_url(self) -> str:
        url = self.store.url
        prefix = "sqlite:///"
        if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
            return prefix + str(self.resolve(Path(url[len(prefix) :])))
        return url

    @property
    def account_ids(self) -> list[str]:
        return [a.object_id for a in self.accounts]


def _format_loc(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(file)"


#: An environment variable with a list index: ``BREAKGLASS_NOTIFICATIONS__CHANNELS__0__URL``.
_INDEXED_ENV = re.compile(r"__\d+(__|$)")
_ENV_PREFIX = "BREAKGLASS_"


def require_accounts(settings: Settings) -> None:
    """Refuse a configuration that declares no emergency account (``ConfigError``).

    For the commands about the accounts: with none declared, a check or a watcher would
    report a clean tenant and watch nothing.
    """
    if not settings.accounts:
        raise ConfigError(
            "no emergency account is declared; add an [[accounts]] table with upn and "
            "object_id for each one",
            field="accounts",
        )


def _env_value(name: str, value: str) -> Any:
    if value.lstrip()[:1] in ("[", "{"):
        try:
            return json.loads(value)
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"the environment variable {name} is not valid JSON: {exc.msg} "
                f"(line {exc.lineno} column {exc.colno})"
            ) from None
    return value


def _merge_indexed_env(raw: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """Apply ``BREAKGLASS_<SECTION>__<N>__<KEY>`` variables to the file's lists, in place.

    The index addresses an entry the file declares, or the next one (to add an entry).
    """
    for name in sorted(environ):
        if not name.upper().startswith(_ENV_PREFIX) or not _INDEXED_ENV.search(name):
            continue
        path = [part.lower() for part in name[len(_ENV_PREFIX) :].split("__")]
        node: Any = raw
        for depth, part in enumerate(path):
            last = depth == len(path) - 1
            where = ".".join(path[:depth]) or "(file)"
            if isinstance(node, list):
                if not part.isdigit() or int(part) > len(node):
                    raise ConfigError(
                        f"the environment variable {name} addresses item {part} of a list of "
                        f"{len(node)}; give an index from 0 to {len(node)}",
                        field=where,
                    )
                index = int(part)
                if index == len(node):
                    node.append({} if not last else None)
                if last:
                    node[index] = _env_value(name, environ[name])
                else:
                    if node[index] is None:
                        node[index] = {} if not path[depth + 1].isdigit() else []
                    node = node[index]
            elif isinstance(node, dict):
                if last:
                    node[part] = _env_value(name, environ[name])
                else:
                    if part not in node:
                        node[part] = [] if path[depth + 1].isdigit() else {}
                    node = node[part]
            else:
                raise ConfigError(
                    f"the environment variable {name} goes below a value that is not a "
                    "table or a list",
                    field=where,
                )
    return raw


def _store_password_in_file(raw: dict[str, Any]) -> bool:
    from urllib.parse import urlsplit

    store = raw.get("store")
    url = store.get("url") if isinstance(store, dict) else None
    if not isinstance(url, str):
        return False
    try:
        return bool(urlsplit(url).password)
    except ValueError:
        return False


def _secrets_in_file(raw: dict[str, Any]) -> list[str]:
    found: list[str] = []
    credential = raw.get("credential")
    if isinstance(credential, dict):
        found += [f"credential.{n}" for n in _SECRET_FIELDS if credential.get(n)]
    notifications = raw.get("notifications")
    channels = notifications.get("channels") if isinstance(notifications, dict) else None
    for i, channel in enumerate(channels if isinstance(channels, list) else []):
        if isinstance(channel, dict):
            found += [
                f"notifications.channels.{i}.{n}"
                for n in secret_fields(ChannelSettings)
                if channel.get(n) and (n != "url" or channel.get("kind") != "smtp")
            ]
    for section, model in (("auth", AuthSettings), ("service", ServiceSettings)):
        table = raw.get(section)
        if isinstance(table, dict):
            found += [f"{section}.{n}" for n in secret_fields(model) if table.get(n)]
    if _store_password_in_file(raw):
        found.append("store.url")
    return found


def _refuse_readable_secrets(raw: dict[str, Any], path: Path) -> None:
    in_file = _secrets_in_file(raw)
    if not in_file:
        return
    mode = path.stat().st_mode
    if mode & (stat.S_IRGRP | stat.S_IROTH | stat.S_IWGRP | stat.S_IWOTH):
        env_name = "BREAKGLASS_" + in_file[0].upper().replace(".", "__")
        raise ConfigError(
            f"is stored in {path}, which other users can read (mode {stat.S_IMODE(mode):o}); "
            f"chmod 600 the file or pass it in the environment ({env_name})",
            field=in_file[0],
        )


#: Far more than any configuration; a larger file (or a device such as /dev/zero) is refused.
_MAX_CONFIG_BYTES = 1024 * 1024


def find_config(path: Path | str | None = None) -> Path | None:
    """The configuration file every command uses: ``path``, else ``$BREAKGLASS_CONFIG``,
    else ``./breakglass.toml`` when it exists; ``None`` when none of these names one."""
    if path is not None:
        return Path(path)
    env_path = os.environ.get("BREAKGLASS_CONFIG")
    if env_path:
        return Path(env_path)
    default = Path("breakglass.toml")
    return default if default.is_file() else None


def load_settings(path: Path | str | None = None, *, env: bool = True) -> Settings:
    """Read ``path`` (or ``$BREAKGLASS_CONFIG``) and the environment into ``Settings``.

    Raises ``ConfigError`` naming the first offending field.
    """
    from breakglass._files import TooLarge, read_at_most

    path = find_config(path) or Path("breakglass.toml")
    try:
        data = read_at_most(path, _MAX_CONFIG_BYTES)
        # utf-8-sig: a byte-order mark (Windows editors) is not a TOML syntax error.
        raw = tomllib.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{path} is not UTF-8 text: byte 0x{data[exc.start]:02x} on line {line} "
            "(save the file as UTF-8)"
        ) from None
    except TooLarge:
        raise ConfigError(
            f"{path} is larger than {_MAX_CONFIG_BYTES // 2**20} MiB; a configuration file "
            "is a few kilobytes (is it the right file?)"
        ) from None
    except FileNotFoundError:
        raise ConfigError(
            f"configuration file {path} not found (pass --config or set BREAKGLASS_CONFIG)"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(
            f"{path} nests arrays or tables too deeply to be a configuration"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read {path}: {exc}") from None
    if "config_path" in raw:
        raise ConfigError("is not a setting", field="config_path")
    if raw.get("accounts") == []:
        raise ConfigError(
            "is an empty list; declare each emergency account in an [[accounts]] table",
            field="accounts",
        )
    _refuse_readable_secrets(raw, path)
    return settings_from_dict(raw, config_path=path.resolve(), env=env)


def settings_from_dict(
    raw: dict[str, Any], *, config_path: Path | None = None, env: bool = True
) -> Settings:
    """Validate an already-parsed configuration mapping."""
    try:
        if env:
            raw = _merge_indexed_env(copy.deepcopy(raw), os.environ)
            return Settings(**raw, config_path=config_path)
        return Settings.model_validate({**raw, "config_path": config_path})
    except SettingsError as exc:
        # pydantic-settings could not parse a complex value (JSON) from the environment.
        found = re.search(r'field "([^"]+)"', str(exc))
        field = found.group(1) if found else None
        variable = f"{_ENV_PREFIX}{field.upper()}" if field else "a BREAKGLASS_* variable"
        raise ConfigError(
            f"the environment variable {variable} is not valid JSON "
            '(lists and tables in the environment are JSON, e.g. \'["id1", "id2"]\')',
            field=field,
        ) from None
    except ValidationError as exc:
        errors = exc.errors()
        # A misspelt key shows as "unknown" and as the real one "required": name the typo.
        first = next((e for e in errors if e["type"] == "extra_forbidden"), errors[0])
        message = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            message = "unknown setting (check the spelling against the README's config reference)"
        elif first["type"] == "missing":
            message = "is required"
        loc = tuple(first["loc"])
        if not loc and re.match(r"^[a-z_]+(\.[\w]+)*: ", message):
            raise ConfigError(message) from None  # a whole-file rule naming its own field
        raise ConfigError(message, field=_format_loc(loc)) from None
