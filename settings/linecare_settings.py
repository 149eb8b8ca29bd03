"""The one configuration object, built from the environment at start-up.

Everything about the installed base lives in the plant file; this holds where
things run. Environment variables are prefixed ``LINECARE_``. It lives beside
the stages rather than in the launcher, so the API and the launcher both take
it from here without one reaching into the other.
"""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from analytics.fleet_partition import FleetPartition
from collector.mqtt_connection import MqttConnection
from collector.opcua_security import OpcUaCredentials
from collector.payload_parsing import TimeBounds
from collector.sparkplug_partition import SparkplugPartition
from models.credentials import SignInPolicy
from models.notifications import NotificationPolicy, RetryPolicy, SmtpServer
from storage.history_retention import HistoryRetention

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class OpcUaLogin(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str
    password: SecretStr


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LINECARE_", frozen=True)

    plant_file: Path = PROJECT_ROOT / "config" / "plant.yaml"
    state_dir: Path = PROJECT_ROOT / ".linecare"
    # When set, LineCare uses this database and starts no cluster of its own.
    database_url: str | None = None
    pg_port: int = 54329
    pg_bin_dir: Path = Path("/usr/lib/postgresql/15/bin")
    pg_data_dir: Path | None = None
    database_name: str = "linecare"
    mqtt_host: str = "127.0.0.1"
    mqtt_port: int = 18830
    # Plant-file OPC UA endpoint -> endpoint to use, where servers are reached
    # under other names than the plant file says (containers, tunnels).
    opcua_endpoint_map: dict[str, str] = Field(default_factory=dict)
    # Whether `linecare demo` starts the local cluster and broker itself.
    manage_services: bool = True
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    # The token `linecare tickets` signs in with, so that scripts need no flag.
    api_token: SecretStr | None = None
    simulation_speed: float = Field(default=60.0, gt=0)
    simulation_seed: int = 7
    # Wall seconds between simulator ticks; each covers tick * speed simulated seconds.
    simulation_tick_s: float = Field(default=0.5, gt=0)
    analytics_interval_s: float = Field(default=5.0, gt=0)
    write_batch_size: int = Field(default=5000, gt=0)
    write_flush_interval_s: float = Field(default=0.5, gt=0)
    retention_days: int = Field(default=365, gt=0)
    # The history beside telemetry; storage/history_retention.py says why these periods.
    dead_letter_retention_days: int = Field(default=30, gt=0)
    plc_event_retention_days: int = Field(default=365, gt=0)
    anomaly_score_retention_days: int = Field(default=365, gt=0)
    # Two years: the OEE reports' loss Pareto is compared year on year.
    downtime_retention_days: int = Field(default=730, gt=0)
    # A ticket not yet archived keeps its machine's PLC events and stops this close to receipt.
    ticket_evidence_days: int = Field(default=30, ge=0)
    retention_batch_size: int = Field(default=5000, gt=0)
    # Where batches wait while TimescaleDB is unreachable; None: <state_dir>/spool.
    collector_spool_dir: Path | None = None
    # The spool's bound in bytes; at the bound sources stay unacknowledged.
    collector_spool_max_bytes: int = Field(default=1024**3, gt=0)
    # Port of the collector's Prometheus /metrics endpoint; 0 turns it off.
    collector_metrics_port: int = Field(default=9464, ge=0, le=65535)
    # Local only by default; a container or a remote Prometheus needs 0.0.0.0.
    collector_metrics_host: str = "127.0.0.1"
    # Wall seconds without data after which a machine is marked offline.
    collector_offline_after_s: float = Field(default=60.0, gt=0)

    mqtt_protocol: Literal["5", "3.1.1"] = "5"
    # Must differ per collector process: the broker keeps one session per id.
    mqtt_client_id: str = "linecare-collector"
    mqtt_persistent_session: bool = True
    mqtt_session_expiry_s: int = Field(default=7 * 24 * 3600, ge=0)
    mqtt_username: str | None = None
    mqtt_password: SecretStr | None = None
    mqtt_tls: bool = False
    mqtt_ca_file: Path | None = None
    mqtt_cert_file: Path | None = None
    mqtt_key_file: Path | None = None
    # Collector processes with the same group split the plant's JSON topics.
    mqtt_shared_group: str | None = None
    # Collector processes split the Sparkplug B edge nodes by a hash of their ids:
    # this one hosts partition <index> of <count>. Each needs its own client id.
    sparkplug_partition_count: int = Field(default=1, ge=1)
    sparkplug_partition_index: int = Field(default=0, ge=0)
    # Several `linecare analyze` processes split the lines by a stable hash.
    analytics_partition_count: int = Field(default=1, ge=1)
    analytics_partition_index: int = Field(default=0, ge=0)
    # Where Sparkplug birth states outlive a restart; None: <state_dir>/sparkplug.
    sparkplug_state_dir: Path | None = None
    # How far a sample's time may lie before / after its arrival; None: no bound.
    sample_max_age_s: float | None = Field(default=86400.0, gt=0)
    sample_max_lead_s: float | None = Field(default=600.0, gt=0)

    # Client certificate and trusted server certificates; None: <state_dir>/opcua.
    opcua_certificate_dir: Path | None = None
    # Plant-file endpoint -> login, e.g. '{"opc.tcp://...": {"username": .., "password": ..}}'.
    opcua_logins: dict[str, OpcUaLogin] = Field(default_factory=dict)
    opcua_max_backoff_s: float = Field(default=10.0, gt=0)
    # Password for `linecare opcua browse/trust --user`, so that they can be scripted.
    opcua_password: SecretStr | None = None

    # Notifications (notifications/): e-mail over SMTP, none sent without a host (they are
    # logged as skipped); the staff's addresses, e.g. '["desk@example.com"]'; retries.
    smtp_host: str | None = None
    smtp_port: int = Field(default=25, gt=0, le=65535)
    smtp_from: str = "LineCare service <linecare@localhost>"
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    notify_staff_emails: list[str] = Field(default_factory=list)
    # A failed webhook call or e-mail is tried again after 30 s, 1 min, 2 min, ... up to 1 h.
    notify_max_attempts: int = Field(default=10, ge=1)
    notify_retry_first_s: float = Field(default=30.0, gt=0)
    notify_retry_max_s: float = Field(default=3600.0, gt=0)
    notify_interval_s: float = Field(default=2.0, gt=0)
    webhook_timeout_s: float = Field(default=10.0, gt=0)
    notify_log_retention_days: int = Field(default=90, gt=0)

    # Sign-in (docs/access.md). The console's session cookie is Secure: browsers send it
    # only over https, and over plain http to localhost; false only for a plain-http demo
    # reached under another name.
    session_cookie_secure: bool = True
    session_lifetime_s: float = Field(default=12 * 3600, gt=0)
    session_idle_timeout_s: float = Field(default=3600, gt=0)
    # Signs the API clients' access tokens (HS256), at least 32 characters. Unset: a random
    # secret per API process, so access tokens end with the process and clients refresh;
    # set it when several API processes serve one installation.
    jwt_secret: SecretStr | None = Field(default=None, min_length=32)
    access_token_lifetime_s: float = Field(default=900, gt=0)
    refresh_token_lifetime_s: float = Field(default=30 * 86400, gt=0)
    # Failed password sign-ins within the window lock the login (or the address) for a while.
    sign_in_max_failures: int = Field(default=5, ge=1)
    # Higher: an office behind one address shares it.
    sign_in_max_failures_per_address: int = Field(default=20, ge=1)
    sign_in_failure_window_s: float = Field(default=900, gt=0)
    sign_in_lockout_s: float = Field(default=900, gt=0)

    # The API (docs/api.md): request bodies above this many bytes answer 413.
    api_max_request_bytes: int = Field(default=1024 * 1024, gt=0)
    # Whole trend buckets each API process keeps between reads (storage/trend_cache.py),
    # some 100 bytes each; 0 reads every bucket from the database.
    trend_cache_buckets: int = Field(default=500_000, ge=0)
    # Origins whose pages may call the API from a browser (CORS), e.g.
    # '["https://portal.example.com"]'; none by default: the console is served by the API.
    cors_allowed_origins: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _mqtt_password_with_username(self) -> Settings:
        if self.mqtt_username is not None and self.mqtt_password is None:
            raise ValueError("LINECARE_MQTT_USERNAME needs LINECARE_MQTT_PASSWORD")
        return self

    @model_validator(mode="after")
    def _sparkplug_partition_in_range(self) -> Settings:
        self.sparkplug_partition()  # raises ValueError unless index < count
        self.analytics_partition()
        return self

    def mqtt_connection(self) -> MqttConnection:
        return MqttConnection(
            host=self.mqtt_host,
            port=self.mqtt_port,
            protocol=self.mqtt_protocol,
            client_id=self.mqtt_client_id,
            persistent_session=self.mqtt_persistent_session,
            session_expiry_s=self.mqtt_session_expiry_s,
            username=self.mqtt_username,
            password=self.mqtt_password.get_secret_value() if self.mqtt_password else None,
            tls=self.mqtt_tls,
            ca_file=self.mqtt_ca_file,
            cert_file=self.mqtt_cert_file,
            key_file=self.mqtt_key_file,
            shared_group=self.mqtt_shared_group,
        )

    def analytics_partition(self) -> FleetPartition:
        return FleetPartition(self.analytics_partition_index, self.analytics_partition_count)

    def sparkplug_partition(self) -> SparkplugPartition:
        return SparkplugPartition(self.sparkplug_partition_index, self.sparkplug_partition_count)

    def sparkplug_birth_dir(self) -> Path:
        """This collector's Sparkplug birth states: one directory per MQTT client id.

        They describe what the broker's session of that client id still holds.
        """
        root = self.sparkplug_state_dir or self.state_dir / "sparkplug"
        return root / quote(self.mqtt_client_id, safe="")

    def sample_bounds(self) -> TimeBounds:
        return TimeBounds(
            max_age=None
            if self.sample_max_age_s is None
            else timedelta(seconds=self.sample_max_age_s),
            max_lead=None
            if self.sample_max_lead_s is None
            else timedelta(seconds=self.sample_max_lead_s),
        )

    def opcua_credentials(self, plant_endpoint: str) -> OpcUaCredentials:
        """Certificates and login for an endpoint as the plant file names it."""
        login = self.opcua_logins.get(plant_endpoint)
        return OpcUaCredentials(
            certificate_dir=self.opcua_certificate_dir or self.state_dir / "opcua",
            username=login.username if login else None,
            password=login.password.get_secret_value() if login else None,
        )

    def notification_policy(self) -> NotificationPolicy:
        smtp = None
        if self.smtp_host:
            smtp = SmtpServer(
                host=self.smtp_host,
                port=self.smtp_port,
                sender=self.smtp_from,
                tls=self.smtp_tls,
                username=self.smtp_username,
                password=self.smtp_password.get_secret_value() if self.smtp_password else None,
            )
        return NotificationPolicy(
            smtp=smtp,
            staff_emails=tuple(self.notify_staff_emails),
            retry=RetryPolicy(
                max_attempts=self.notify_max_attempts,
                first_delay=timedelta(seconds=self.notify_retry_first_s),
                max_delay=timedelta(seconds=self.notify_retry_max_s),
            ),
            webhook_timeout_s=self.webhook_timeout_s,
            interval_s=self.notify_interval_s,
            log_retention=timedelta(days=self.notify_log_retention_days),
        )

    def sign_in_policy(self) -> SignInPolicy:
        return SignInPolicy(
            cookie_secure=self.session_cookie_secure,
            session_lifetime=timedelta(seconds=self.session_lifetime_s),
            session_idle_timeout=timedelta(seconds=self.session_idle_timeout_s),
            access_token_lifetime=timedelta(seconds=self.access_token_lifetime_s),
            refresh_token_lifetime=timedelta(seconds=self.refresh_token_lifetime_s),
            max_failures_per_login=self.sign_in_max_failures,
            max_failures_per_address=self.sign_in_max_failures_per_address,
            failure_window=timedelta(seconds=self.sign_in_failure_window_s),
            lockout=timedelta(seconds=self.sign_in_lockout_s),
        )

    @property
    def retention(self) -> timedelta:
        return timedelta(days=self.retention_days)

    def history_retention(self) -> HistoryRetention:
        return HistoryRetention(
            dead_letters=timedelta(days=self.dead_letter_retention_days),
            plc_events=timedelta(days=self.plc_event_retention_days),
            anomaly_scores=timedelta(days=self.anomaly_score_retention_days),
            downtime_events=timedelta(days=self.downtime_retention_days),
            ticket_evidence=timedelta(days=self.ticket_evidence_days),
            batch_size=self.retention_batch_size,
        )

    @property
    def cluster_data_dir(self) -> Path:
        """Where the local cluster lives.

        Run as root, the server runs as ``postgres``, which may not be able to
        reach a checkout under /root; its data then lives under /var/lib.
        """
        if self.pg_data_dir is not None:
            return self.pg_data_dir
        if os.geteuid() == 0:
            tag = hashlib.sha256(str(self.state_dir.resolve()).encode()).hexdigest()[:10]
            return Path("/var/lib/linecare") / tag / "pgdata"
        return self.state_dir / "pgdata"

    def dsn(self) -> str:
        if self.database_url:
            return self.database_url
        return f"host=127.0.0.1 port={self.pg_port} user=postgres dbname={self.database_name}"
