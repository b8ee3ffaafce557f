"""SNMPv3 against a real net-snmp snmpd in a namespace the test makes: every auth and privacy
protocol portmap offers reads what v2c reads; wrong passwords and users are named; an agent
restarted (its engine boots once more) is followed without a failed poll."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from portmap.errors import SnmpAuthError, SnmpTimeout
from portmap.inventory.model import Secret, SnmpSettings
from portmap.snmp import oids
from portmap.snmp.ifmib import read_counters, read_plan
from portmap.snmp.session import SnmpClient
from tests.helpers import report, v2c_device

COMMUNITY = "pm-v3-community"
AGENT = "198.51.100.14"
USERS = {  # name: (net-snmp's createUser protocols, portmap's auth, priv, security level)
    "pm-md5-des": ('MD5 "auth-pass-md5" DES "priv-pass-des"', "md5", "des", "authPriv"),
    "pm-sha-aes": ('SHA "auth-pass-sha" AES "priv-pass-aes"', "sha", "aes128", "authPriv"),
    "pm-sha256-aes": ('SHA-256 "auth-pass-256" AES "priv-pass-aes"', "sha256", "aes128", "authPriv"),
    "pm-sha512-aes": ('SHA-512 "auth-pass-512" AES "priv-pass-aes"', "sha512", "aes128", "authPriv"),
    "pm-sha-aes256": ('SHA "auth-pass-sha" AES256C "priv-pass-256"', "sha", "aes256", "authPriv"),
    "pm-sha224-auth": ('SHA-224 "auth-pass-224"', "sha224", None, "authNoPriv"),
}


def _passwords(created: str) -> tuple[str, str | None]:
    quoted = created.split('"')
    return quoted[1], quoted[3] if len(quoted) > 3 else None


def _v3(name: str, **changes: str) -> object:
    created, auth, priv, level = USERS[name]
    auth_password, priv_password = _passwords(created)
    snmp = SnmpSettings(version="3", user=changes.get("user", name), security_level=level, auth_protocol=auth,
                        auth_password=Secret(changes.get("auth_password", auth_password)), priv_protocol=priv,
                        priv_password=Secret(changes.get("priv_password", priv_password)) if priv_password else None)
    return replace(v2c_device(name, 161, COMMUNITY, timeout_s=0.5), host=AGENT, snmp=snmp)


def _agent_config() -> str:
    lines = []
    for name, (created, _, _, level) in USERS.items():
        lines += [f"createUser {name} {created}", f"rouser {name} {'priv' if level == 'authPriv' else 'auth'}"]
    return "\n".join(lines) + "\n"


async def test_every_protocol_reads_what_v2c_reads_and_errors_are_named(lab):
    switch = lab.namespace("sw")
    lab.cable(switch, "swp1", "192.0.2.1/24", lab.namespace("h1"), "eth0", "192.0.2.10/24")
    lab.management_link(switch, "198.51.100.13/30", f"{AGENT}/30")
    config = _agent_config()
    state = lab.workdir / "snmp-state"  # its engine id and boots, kept over a restart
    state.mkdir()
    agent = await asyncio.to_thread(lab.snmpd, switch, COMMUNITY, AGENT, "198.51.100.12/30", None, config, state)
    client = SnmpClient()
    try:
        reference = await client.session(replace(v2c_device("v2c", 161, COMMUNITY), host=AGENT)).walk([oids.ifDescr.oid])
        assert len(reference[oids.ifDescr.oid]) >= 3
        for name in USERS:
            session = client.session(_v3(name))
            assert await session.walk([oids.ifDescr.oid]) == reference, name
            plan = await read_plan(session)
            sample = await read_counters(session, plan)
            assert len(sample.if_indexes) == len(reference[oids.ifDescr.oid]), name

        failures = {}
        for label, device in {
            "wrong auth password": _v3("pm-sha-aes", auth_password="not-the-password"),
            "unknown user": _v3("pm-sha256-aes", user="intruder"),
            "wrong priv password": _v3("pm-md5-des", priv_password="not-the-priv-pass"),
        }.items():
            try:
                await client.session(device).get([oids.sysUpTime.instance(0)])
            except (SnmpAuthError, SnmpTimeout) as error:
                failures[label] = error
        assert isinstance(failures["wrong auth password"], SnmpAuthError)
        assert "wrong auth password or protocol (digest mismatch)" in str(failures["wrong auth password"])
        assert "unknown SNMPv3 user 'intruder'" in str(failures["unknown user"])
        wrong_priv = str(failures["wrong priv password"])  # net-snmp drops what it cannot decrypt, without a report
        assert isinstance(failures["wrong priv password"], SnmpTimeout) and "wrong priv password or protocol" in wrong_priv
        assert not any(secret in repr(failures) for secret in ("not-the-password", "not-the-priv-pass", "auth-pass", "priv-pass"))

        # Restarted with its persistent state: the same engine id, one boot more, its clock from zero.
        session = client.session(_v3("pm-sha256-aes"))
        await session.get([oids.sysUpTime.instance(0)])
        before = next(iter(client.usm.clocks.values()))
        engine_id, boots = before.engine_id, before.boots
        agent.terminate()
        await asyncio.to_thread(agent.wait, 10)
        await asyncio.to_thread(lab.snmpd, switch, COMMUNITY, AGENT, "198.51.100.12/30", None, config, state)
        answer = await session.get([oids.sysUpTime.instance(0)])
        after = next(iter(client.usm.clocks.values()))
        assert after.engine_id == engine_id and after.boots == boots + 1
        assert isinstance(answer[oids.sysUpTime.instance(0)], int)
        report(f"net-snmp SNMPv3: {len(USERS)} users (MD5/DES, SHA/AES, SHA-256, SHA-512, SHA/AES-256 Cisco-style, "
               f"SHA-224 authNoPriv) read ifDescr as v2c does; restart followed (boots {boots} -> {after.boots}); "
               f"wrong priv: {wrong_priv.split(': ', 1)[1]}")
    finally:
        client.close()
