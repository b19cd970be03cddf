//! Tests of the answer engine. The expected answers are NSD 4.6's: the same
//! zones were loaded into NSD and the responses compared byte for byte (the
//! `nsd_*` tests keep some of those bytes).

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::header::Header;
use crate::message::Message;
use crate::name::Name;
use crate::zone::parse_zone;

const EXAMPLE: &str = r#"
$ORIGIN example.test.
$TTL 3600
@       IN SOA  ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300
@       IN NS    ns1
@       IN NS    ns2
@       IN A     192.0.2.1
@       IN AAAA  2001:db8::1
@       IN MX    10 mail
@       IN MX    20 mail2
@       IN MX    30 mx.example.org.
@       IN TXT   "v=spf1 mx -all"
ns1     IN A     192.0.2.53
ns1     IN AAAA  2001:db8::53
ns2     IN A     198.51.100.53
mail    IN A     192.0.2.25
mail    IN AAAA  2001:db8::25
mail2   IN A     198.51.100.25
www     IN A     192.0.2.80
www     IN AAAA  2001:db8::80
alias   IN CNAME www
chain   IN CNAME alias
ext     IN CNAME www.example.org.
loop1   IN CNAME loop2
loop2   IN CNAME loop1
self    IN CNAME self
tonx    IN CNAME nothere
tonodata IN CNAME txt
towild  IN CNAME foo.wild
tochild IN CNAME host.child
tosub   IN CNAME www.sub
txt     IN TXT   "hello world" "second string"
*.wild  IN A     192.0.2.99
*.wild  IN TXT   "wildcard match"
*.wild  IN MX    10 mail
exists.wild IN A 192.0.2.98
a.ent.wild IN A 192.0.2.97
*.cwild IN CNAME www
_sip._udp IN SRV 0 5 5060 www
_sip._tcp IN SRV 0 5 5060 sip.example.org.
wmx     IN MX    5 host.wild
deep.ent.x IN A 192.0.2.7
child   IN NS    ns1.child
child   IN NS    ns2.child
child   IN NS    ns.example.org.
child   IN DS    12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE3BBEE4E9B4E6D6A5C9B7BDE1
ns1.child IN A   192.0.2.153
ns2.child IN AAAA 2001:db8::153
other   IN NS    ns1
*.wc    IN NS    ns1
dn      IN DNAME target
target  IN A     192.0.2.200
www.target IN A  192.0.2.201
c.target IN CNAME www.target
dnext   IN DNAME example.org.
dnself  IN DNAME dnself.example.test.
dnchild IN DNAME child
longdn  IN DNAME aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.example.test.
hinfo   IN HINFO "cpu" "os"
"#;

const SUB: &str = r#"
$ORIGIN sub.example.test.
$TTL 600
@ IN SOA ns1.sub.example.test. h.example.test. 1 2 3 4 7200
@ IN NS ns1
ns1 IN A 192.0.2.9
www IN A 192.0.2.10
"#;

fn zone(origin: &str, text: &str) -> Zone {
    let origin = Name::from_ascii(origin).unwrap();
    let records = parse_zone(text, &origin, "test.zone", &mut |_| Err("no includes".into())).unwrap();
    Zone::new(origin, records).unwrap()
}

fn catalog() -> Catalog {
    Catalog::new(vec![zone("example.test.", EXAMPLE), zone("sub.example.test.", SUB)]).unwrap()
}

fn big() -> Catalog {
    let mut t = String::from("$ORIGIN big.test.\n$TTL 300\n@ SOA ns1 hostmaster 1 2 3 4 60\n");
    for i in 1..14 {
        t += &format!("@ NS ns{i}\nns{i} A 192.0.2.{i}\nns{i} AAAA 2001:db8::{i}\n");
    }
    for i in 0..40 {
        t += &format!("txt TXT \"{} {i}\"\n", "x".repeat(60));
    }
    for i in 0..20 {
        t += &format!("small TXT \"s{i}\"\n");
    }
    for i in 1..10 {
        t += &format!("deleg NS a-very-long-name-server-name-number-{i}.deleg\n");
        t += &format!("a-very-long-name-server-name-number-{i}.deleg A 203.0.113.{i}\n");
    }
    t += "c1 CNAME c2\nc2 CNAME txt\n";
    Catalog::new(vec![zone("big.test.", &t)]).unwrap()
}

/// A query: id 0x1234, the given flags, one question, an OPT if `edns` is
/// (payload size, DO, version).
fn query_with(qname: &str, qtype: u16, qclass: u16, flags: u16, edns: Option<(u16, bool, u8)>) -> Vec<u8> {
    let mut q = vec![0x12, 0x34];
    q.extend_from_slice(&flags.to_be_bytes());
    q.extend_from_slice(&[0, 1, 0, 0, 0, 0, 0, u8::from(edns.is_some())]);
    q.extend_from_slice(Name::from_ascii(qname).unwrap().as_wire());
    q.extend_from_slice(&qtype.to_be_bytes());
    q.extend_from_slice(&qclass.to_be_bytes());
    if let Some((size, dnssec_ok, version)) = edns {
        q.extend_from_slice(&[0, 0, 41]);
        q.extend_from_slice(&size.to_be_bytes());
        q.extend_from_slice(&[0, version, if dnssec_ok { 0x80 } else { 0 }, 0, 0, 0]);
    }
    q
}

fn query(qname: &str, qtype: u16) -> Vec<u8> {
    query_with(qname, qtype, 1, 0, None)
}

/// (payload size, DO, options) of an OPT record.
type Opt = (u16, bool, Vec<(u16, Vec<u8>)>);

/// A response taken apart for assertions.
#[derive(Debug)]
struct Resp {
    header: Header,
    /// "qr aa tc rd" style flags.
    flags: String,
    rcode: u16,
    question: Vec<String>,
    answer: Vec<String>,
    authority: Vec<String>,
    additional: Vec<String>,
    /// (payload size, DO, options) of the OPT record.
    opt: Option<Opt>,
    len: usize,
}

fn rr_text(r: &crate::message::Record) -> String {
    format!("{} {} {} {} {}", r.name, r.ttl, r.class, r.rdata.rtype(), r.rdata)
}

fn decode(bytes: &[u8]) -> Resp {
    let m = Message::decode(bytes).unwrap();
    let h = m.header;
    let mut flags = Vec::new();
    for (on, name) in
        [(h.qr, "qr"), (h.aa, "aa"), (h.tc, "tc"), (h.rd, "rd"), (h.ra, "ra"), (h.ad, "ad"), (h.cd, "cd")]
    {
        if on {
            flags.push(name);
        }
    }
    Resp {
        header: h,
        flags: flags.join(" "),
        rcode: m.rcode(),
        question: m.questions.iter().map(|q| format!("{} {} {}", q.qname, q.qclass, q.qtype)).collect(),
        answer: m.answers.iter().map(rr_text).collect(),
        authority: m.authority.iter().map(rr_text).collect(),
        additional: m.additional.iter().map(rr_text).collect(),
        opt: m.edns.map(|e| (e.udp_payload_size, e.dnssec_ok, e.options)),
        len: bytes.len(),
    }
}

fn ask_bytes(cat: &Catalog, q: &[u8], max_udp: Option<u16>) -> Vec<u8> {
    let mut out = Vec::new();
    assert_eq!(answer(cat, q, max_udp, &mut out), AnswerOutcome::Respond);
    out
}

fn ask_raw(cat: &Catalog, q: &[u8], max_udp: Option<u16>) -> Resp {
    decode(&ask_bytes(cat, q, max_udp))
}

fn ask(cat: &Catalog, qname: &str, qtype: u16) -> Resp {
    ask_raw(cat, &query(qname, qtype), Some(DEFAULT_MAX_UDP))
}

const A: u16 = 1;
const NS: u16 = 2;
const CNAME: u16 = 5;
const SOA: u16 = 6;
const MX: u16 = 15;
const TXT: u16 = 16;
const AAAA: u16 = 28;
const SRV: u16 = 33;
const DNAME: u16 = 39;
const DS: u16 = 43;
const DNSKEY: u16 = 48;
const ANY: u16 = 255;

const APEX_NS: [&str; 2] =
    ["example.test. 3600 IN NS ns1.example.test.", "example.test. 3600 IN NS ns2.example.test."];
const APEX_NS_ADDRS: [&str; 3] = [
    "ns1.example.test. 3600 IN A 192.0.2.53",
    "ns2.example.test. 3600 IN A 198.51.100.53",
    "ns1.example.test. 3600 IN AAAA 2001:db8::53",
];
const NEG_SOA: &str =
    "example.test. 300 IN SOA ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300";
const CHILD_NS: [&str; 3] = [
    "child.example.test. 3600 IN NS ns1.child.example.test.",
    "child.example.test. 3600 IN NS ns2.child.example.test.",
    "child.example.test. 3600 IN NS ns.example.org.",
];
const CHILD_GLUE: [&str; 2] =
    ["ns1.child.example.test. 3600 IN A 192.0.2.153", "ns2.child.example.test. 3600 IN AAAA 2001:db8::153"];

fn strs(v: &[&str]) -> Vec<String> {
    v.iter().map(ToString::to_string).collect()
}

// ---------------------------------------------------------------- positive

#[test]
fn positive_answer_has_apex_ns_and_addresses() {
    let r = ask(&catalog(), "www.example.test.", A);
    assert_eq!(r.header.id, 0x1234);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 0));
    assert_eq!(r.question, ["www.example.test. IN A"]);
    assert_eq!(r.answer, ["www.example.test. 3600 IN A 192.0.2.80"]);
    assert_eq!(r.authority, APEX_NS);
    assert_eq!(r.additional, APEX_NS_ADDRS);
    assert_eq!(r.opt, None);
}

#[test]
fn rd_is_copied_and_other_flags_cleared() {
    // QR clear, opcode 0, AA TC RD RA Z AD CD all set in the query.
    let q = query_with("www.example.test.", A, 1, 0x07f0, None);
    let r = ask_raw(&catalog(), &q, Some(1232));
    assert_eq!(r.flags, "qr aa rd");
    assert!(!r.header.z);
}

#[test]
fn minimal_responses_leave_out_apex_ns() {
    let zones = vec![zone("example.test.", EXAMPLE)];
    let cat = Catalog::with_options(zones, AnswerOptions { minimal_responses: true }).unwrap();
    let r = ask(&cat, "www.example.test.", A);
    assert_eq!(r.answer, ["www.example.test. 3600 IN A 192.0.2.80"]);
    assert!(r.authority.is_empty() && r.additional.is_empty());
    // MX answers get no addresses either; NS queries and referrals still do.
    let r = ask(&cat, "example.test.", MX);
    assert_eq!((r.answer.len(), r.additional.len()), (3, 0));
    let r = ask(&cat, "example.test.", NS);
    assert_eq!((r.answer, r.additional), (strs(&APEX_NS), strs(&APEX_NS_ADDRS)));
    let r = ask(&cat, "host.child.example.test.", A);
    assert_eq!((r.authority, r.additional), (strs(&CHILD_NS), strs(&CHILD_GLUE)));
}

#[test]
fn apex_ns_query_has_no_authority_copy() {
    let r = ask(&catalog(), "example.test.", NS);
    assert_eq!(r.flags, "qr aa");
    assert_eq!(r.answer, APEX_NS);
    assert!(r.authority.is_empty());
    assert_eq!(r.additional, APEX_NS_ADDRS);
}

#[test]
fn mx_targets_get_addresses_a_before_aaaa() {
    let r = ask(&catalog(), "example.test.", MX);
    assert_eq!(
        r.answer,
        [
            "example.test. 3600 IN MX 10 mail.example.test.",
            "example.test. 3600 IN MX 20 mail2.example.test.",
            "example.test. 3600 IN MX 30 mx.example.org.",
        ]
    );
    assert_eq!(r.authority, APEX_NS);
    assert_eq!(
        r.additional,
        [
            "mail.example.test. 3600 IN A 192.0.2.25",
            "mail2.example.test. 3600 IN A 198.51.100.25",
            "ns1.example.test. 3600 IN A 192.0.2.53",
            "ns2.example.test. 3600 IN A 198.51.100.53",
            "mail.example.test. 3600 IN AAAA 2001:db8::25",
            "ns1.example.test. 3600 IN AAAA 2001:db8::53",
        ]
    );
}

#[test]
fn srv_targets_in_zone_only() {
    let r = ask(&catalog(), "_sip._udp.example.test.", SRV);
    assert_eq!(r.answer, ["_sip._udp.example.test. 3600 IN SRV 0 5 5060 www.example.test."]);
    assert_eq!(
        r.additional,
        [
            "www.example.test. 3600 IN A 192.0.2.80",
            "ns1.example.test. 3600 IN A 192.0.2.53",
            "ns2.example.test. 3600 IN A 198.51.100.53",
            "www.example.test. 3600 IN AAAA 2001:db8::80",
            "ns1.example.test. 3600 IN AAAA 2001:db8::53",
        ]
    );
    let r = ask(&catalog(), "_sip._tcp.example.test.", SRV);
    assert_eq!(r.additional, APEX_NS_ADDRS);
}

#[test]
fn address_of_a_target_below_a_wildcard_is_synthesized() {
    let r = ask(&catalog(), "wmx.example.test.", MX);
    assert_eq!(r.additional[0], "host.wild.example.test. 3600 IN A 192.0.2.99");
}

#[test]
fn an_address_already_in_the_answer_is_not_repeated() {
    let r = ask(&catalog(), "ns1.example.test.", A);
    assert_eq!(r.answer, ["ns1.example.test. 3600 IN A 192.0.2.53"]);
    assert_eq!(r.authority, APEX_NS);
    assert_eq!(
        r.additional,
        ["ns2.example.test. 3600 IN A 198.51.100.53", "ns1.example.test. 3600 IN AAAA 2001:db8::53"]
    );
}

#[test]
fn query_case_is_echoed_through_compression() {
    let r = ask(&catalog(), "WWW.Example.TEST.", A);
    assert_eq!(r.question, ["WWW.Example.TEST. IN A"]);
    assert_eq!(r.answer, ["WWW.Example.TEST. 3600 IN A 192.0.2.80"]);
    assert_eq!(r.authority[0], "Example.TEST. 3600 IN NS ns1.Example.TEST.");
}

// ---------------------------------------------------------------- negative

#[test]
fn nxdomain_has_soa_with_negative_ttl() {
    let r = ask(&catalog(), "nope.example.test.", A);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 3));
    assert!(r.answer.is_empty() && r.additional.is_empty());
    assert_eq!(r.authority, [NEG_SOA]);
}

#[test]
fn nodata_has_soa() {
    let r = ask(&catalog(), "www.example.test.", MX);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 0));
    assert!(r.answer.is_empty() && r.additional.is_empty());
    assert_eq!(r.authority, [NEG_SOA]);
}

#[test]
fn negative_ttl_is_the_smaller_of_soa_ttl_and_minimum() {
    // SUB: SOA TTL 600, MINIMUM 7200.
    let r = ask(&catalog(), "nx.sub.example.test.", A);
    assert_eq!(
        r.authority,
        ["sub.example.test. 600 IN SOA ns1.sub.example.test. h.example.test. 1 2 3 4 7200"]
    );
    // The SOA itself keeps its TTL.
    let r = ask(&catalog(), "example.test.", SOA);
    assert_eq!(
        r.answer,
        [
            "example.test. 3600 IN SOA ns1.example.test. hostmaster.example.test. 2024010101 7200 3600 1209600 300"
        ]
    );
}

#[test]
fn empty_non_terminal_is_nodata() {
    let r = ask(&catalog(), "ent.x.example.test.", A);
    assert_eq!((r.rcode, r.authority.clone()), (0, strs(&[NEG_SOA])));
    let r = ask(&catalog(), "x.example.test.", A);
    assert_eq!(r.rcode, 0);
}

// ---------------------------------------------------------------- CNAME

#[test]
fn cname_chain_is_followed() {
    let r = ask(&catalog(), "chain.example.test.", A);
    assert_eq!(r.flags, "qr aa");
    assert_eq!(
        r.answer,
        [
            "chain.example.test. 3600 IN CNAME alias.example.test.",
            "alias.example.test. 3600 IN CNAME www.example.test.",
            "www.example.test. 3600 IN A 192.0.2.80",
        ]
    );
    assert_eq!(r.authority, APEX_NS);
    assert_eq!(r.additional, APEX_NS_ADDRS);
}

#[test]
fn cname_out_of_zone_stops() {
    let r = ask(&catalog(), "ext.example.test.", A);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 0));
    assert_eq!(r.answer, ["ext.example.test. 3600 IN CNAME www.example.org."]);
    assert!(r.authority.is_empty() && r.additional.is_empty());
}

#[test]
fn cname_query_returns_the_cname_only() {
    let r = ask(&catalog(), "alias.example.test.", CNAME);
    assert_eq!(r.answer, ["alias.example.test. 3600 IN CNAME www.example.test."]);
    assert_eq!(r.authority, APEX_NS);
}

#[test]
fn cname_loops_stop() {
    let r = ask(&catalog(), "loop1.example.test.", A);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 0));
    assert_eq!(
        r.answer,
        [
            "loop1.example.test. 3600 IN CNAME loop2.example.test.",
            "loop2.example.test. 3600 IN CNAME loop1.example.test."
        ]
    );
    assert!(r.authority.is_empty());
    let r = ask(&catalog(), "self.example.test.", A);
    assert_eq!(r.answer, ["self.example.test. 3600 IN CNAME self.example.test."]);
}

#[test]
fn cname_to_nxdomain_and_nodata() {
    let r = ask(&catalog(), "tonx.example.test.", A);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 3));
    assert_eq!(r.answer, ["tonx.example.test. 3600 IN CNAME nothere.example.test."]);
    assert_eq!(r.authority, [NEG_SOA]);
    let r = ask(&catalog(), "tonodata.example.test.", A);
    assert_eq!(r.rcode, 0);
    assert_eq!(r.answer, ["tonodata.example.test. 3600 IN CNAME txt.example.test."]);
    assert_eq!(r.authority, [NEG_SOA]);
}

#[test]
fn cname_into_a_delegation_gives_a_referral_with_aa() {
    let r = ask(&catalog(), "tochild.example.test.", A);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 0));
    assert_eq!(r.answer, ["tochild.example.test. 3600 IN CNAME host.child.example.test."]);
    assert_eq!(r.authority, CHILD_NS);
    assert_eq!(r.additional, CHILD_GLUE);
}

#[test]
fn cname_into_another_served_zone_is_followed() {
    let r = ask(&catalog(), "tosub.example.test.", A);
    assert_eq!(
        r.answer,
        [
            "tosub.example.test. 3600 IN CNAME www.sub.example.test.",
            "www.sub.example.test. 600 IN A 192.0.2.10"
        ]
    );
    assert_eq!(r.authority, ["sub.example.test. 600 IN NS ns1.sub.example.test."]);
    assert_eq!(r.additional, ["ns1.sub.example.test. 600 IN A 192.0.2.9"]);
}

// ---------------------------------------------------------------- wildcards

#[test]
fn wildcard_synthesizes_the_query_name() {
    let r = ask(&catalog(), "foo.wild.example.test.", A);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 0));
    assert_eq!(r.answer, ["foo.wild.example.test. 3600 IN A 192.0.2.99"]);
    assert_eq!(r.authority, APEX_NS);
    let r = ask(&catalog(), "a.b.wild.example.test.", TXT);
    assert_eq!(r.answer, ["a.b.wild.example.test. 3600 IN TXT \"wildcard match\""]);
    let r = ask(&catalog(), "foo.wild.example.test.", MX);
    assert_eq!(r.answer, ["foo.wild.example.test. 3600 IN MX 10 mail.example.test."]);
    assert_eq!(r.additional[0], "mail.example.test. 3600 IN A 192.0.2.25");
}

#[test]
fn wildcard_nodata() {
    let r = ask(&catalog(), "foo.wild.example.test.", AAAA);
    assert_eq!((r.rcode, r.answer.len()), (0, 0));
    assert_eq!(r.authority, [NEG_SOA]);
}

#[test]
fn wildcard_does_not_match_existing_names() {
    // A name with data: NODATA, not the wildcard's TXT.
    let r = ask(&catalog(), "exists.wild.example.test.", TXT);
    assert_eq!((r.rcode, r.answer.len(), r.authority.clone()), (0, 0, strs(&[NEG_SOA])));
    // An empty non-terminal exists too (RFC 4592 §2.2.2).
    let r = ask(&catalog(), "ent.wild.example.test.", A);
    assert_eq!((r.rcode, r.answer.len()), (0, 0));
    // Below it the closest encloser is the empty non-terminal, which has no `*`.
    let r = ask(&catalog(), "x.ent.wild.example.test.", A);
    assert_eq!((r.rcode, r.answer.len()), (3, 0));
    // The wildcard's parent itself is no match.
    let r = ask(&catalog(), "wild.example.test.", A);
    assert_eq!((r.rcode, r.answer.len()), (0, 0));
}

#[test]
fn wildcard_owner_asked_literally() {
    let r = ask(&catalog(), "*.wild.example.test.", A);
    assert_eq!(r.answer, ["*.wild.example.test. 3600 IN A 192.0.2.99"]);
}

#[test]
fn wildcard_cname_is_followed() {
    let r = ask(&catalog(), "foo.cwild.example.test.", A);
    assert_eq!(
        r.answer,
        ["foo.cwild.example.test. 3600 IN CNAME www.example.test.", "www.example.test. 3600 IN A 192.0.2.80"]
    );
    let r = ask(&catalog(), "towild.example.test.", A);
    assert_eq!(
        r.answer,
        [
            "towild.example.test. 3600 IN CNAME foo.wild.example.test.",
            "foo.wild.example.test. 3600 IN A 192.0.2.99"
        ]
    );
}

#[test]
fn no_wildcard_across_a_zone_cut() {
    // `*.wc` holds NS: below `wc` it is data (as NSD), not a delegation.
    let r = ask(&catalog(), "x.wc.example.test.", A);
    assert_eq!((r.flags.as_str(), r.rcode, r.answer.len()), ("qr aa", 0, 0));
    let r = ask(&catalog(), "x.wc.example.test.", NS);
    assert_eq!(r.answer, ["x.wc.example.test. 3600 IN NS ns1.example.test."]);
    // Names below a real cut are referred, never wildcard-matched.
    let r = ask(&catalog(), "a.b.child.example.test.", TXT);
    assert_eq!((r.flags.as_str(), r.authority.clone()), ("qr", strs(&CHILD_NS)));
}

// ---------------------------------------------------------------- DNAME

#[test]
fn dname_synthesizes_a_cname_and_follows_it() {
    let r = ask(&catalog(), "www.dn.example.test.", A);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 0));
    assert_eq!(
        r.answer,
        [
            "dn.example.test. 3600 IN DNAME target.example.test.",
            "www.dn.example.test. 3600 IN CNAME www.target.example.test.",
            "www.target.example.test. 3600 IN A 192.0.2.201",
        ]
    );
    assert_eq!(r.authority, APEX_NS);
    let r = ask(&catalog(), "c.dn.example.test.", A);
    assert_eq!(r.answer.len(), 4);
    assert_eq!(r.answer[2], "c.target.example.test. 3600 IN CNAME www.target.example.test.");
}

#[test]
fn dname_to_a_missing_name_is_nxdomain() {
    let r = ask(&catalog(), "x.dn.example.test.", A);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 3));
    assert_eq!(
        r.answer,
        [
            "dn.example.test. 3600 IN DNAME target.example.test.",
            "x.dn.example.test. 3600 IN CNAME x.target.example.test."
        ]
    );
    assert_eq!(r.authority, [NEG_SOA]);
}

#[test]
fn dname_cases() {
    let cat = catalog();
    // A CNAME query stops at the synthesized CNAME.
    let r = ask(&cat, "x.dn.example.test.", CNAME);
    assert_eq!((r.rcode, r.answer.len(), r.authority.len()), (0, 2, 0));
    // The DNAME owner itself is not substituted.
    let r = ask(&cat, "dn.example.test.", A);
    assert_eq!((r.rcode, r.answer.len(), r.authority.clone()), (0, 0, strs(&[NEG_SOA])));
    let r = ask(&cat, "dn.example.test.", DNAME);
    assert_eq!(r.answer, ["dn.example.test. 3600 IN DNAME target.example.test."]);
    // Out of the served zones: stops after the CNAME.
    let r = ask(&cat, "a.b.dnext.example.test.", A);
    assert_eq!(r.answer[1], "a.b.dnext.example.test. 3600 IN CNAME a.b.example.org.");
    assert_eq!((r.rcode, r.answer.len(), r.authority.len()), (0, 2, 0));
    // A DNAME pointing below itself loops once.
    let r = ask(&cat, "x.dnself.example.test.", A);
    assert_eq!(
        r.answer,
        [
            "dnself.example.test. 3600 IN DNAME dnself.example.test.",
            "x.dnself.example.test. 3600 IN CNAME x.dnself.example.test."
        ]
    );
    // Into a delegation: a referral after the CNAME.
    let r = ask(&cat, "ns1.dnchild.example.test.", A);
    assert_eq!((r.flags.as_str(), r.answer.len()), ("qr aa", 2));
    assert_eq!((r.authority, r.additional), (strs(&CHILD_NS), strs(&CHILD_GLUE)));
}

#[test]
fn dname_result_too_long_is_yxdomain() {
    let q = format!("{}.{}.longdn.example.test.", "a".repeat(63), "b".repeat(20));
    let r = ask(&catalog(), &q, A);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 6));
    assert_eq!(r.answer.len(), 1);
    assert!(r.answer[0].starts_with("longdn.example.test. 3600 IN DNAME "));
    assert!(r.authority.is_empty());
    // With EDNS the Extended DNS Error says why (RFC 8914 §4.1).
    let r = ask_raw(&catalog(), &query_with(&q, A, 1, 0, Some((1232, false, 0))), Some(1232));
    let (_, _, options) = r.opt.unwrap();
    assert_eq!(options, [(15, [&[0u8, 0][..], b"DNAME expansion became too large"].concat())]);
}

// ---------------------------------------------------------------- referrals

#[test]
fn referral_below_a_cut() {
    let r = ask(&catalog(), "host.child.example.test.", A);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr", 0));
    assert!(r.answer.is_empty());
    assert_eq!(r.authority, CHILD_NS);
    assert_eq!(r.additional, CHILD_GLUE);
}

#[test]
fn referral_at_the_cut_and_for_glue() {
    for (name, t) in [("child.example.test.", NS), ("child.example.test.", A), ("ns1.child.example.test.", A)]
    {
        let r = ask(&catalog(), name, t);
        assert_eq!((r.flags.as_str(), r.rcode, r.answer.len()), ("qr", 0, 0), "{name}");
        assert_eq!(r.authority, CHILD_NS, "{name}");
        assert_eq!(r.additional, CHILD_GLUE, "{name}");
    }
}

#[test]
fn referral_with_out_of_bailiwick_glue() {
    let r = ask(&catalog(), "x.other.example.test.", A);
    assert_eq!(r.flags, "qr");
    assert_eq!(r.authority, ["other.example.test. 3600 IN NS ns1.example.test."]);
    assert_eq!(
        r.additional,
        ["ns1.example.test. 3600 IN A 192.0.2.53", "ns1.example.test. 3600 IN AAAA 2001:db8::53"]
    );
}

#[test]
fn ds_at_the_cut_is_answered_by_the_parent() {
    let r = ask(&catalog(), "child.example.test.", DS);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 0));
    assert_eq!(
        r.answer,
        [
            "child.example.test. 3600 IN DS 12345 8 2 49FD46E6C4B45C55D4AC69CBD3CD34AC1AFE51DE3BBEE4E9B4E6D6A5C9B7BDE1"
        ]
    );
    assert!(r.authority.is_empty() && r.additional.is_empty());
    // Below the cut DS is the child's: a referral.
    let r = ask(&catalog(), "a.b.child.example.test.", DS);
    assert_eq!((r.flags.as_str(), r.authority.clone()), ("qr", strs(&CHILD_NS)));
}

#[test]
fn ds_at_a_served_child_apex_comes_from_the_parent_zone() {
    // The parent has no DS (nor anything) at sub: NODATA with the parent's SOA.
    let r = ask(&catalog(), "sub.example.test.", DS);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr aa", 0));
    assert_eq!(r.authority, [NEG_SOA]);
    // DS at the apex of a zone without a served parent: NODATA from the zone.
    let r = ask(&catalog(), "example.test.", DS);
    assert_eq!((r.flags.as_str(), r.rcode, r.authority.clone()), ("qr aa", 0, strs(&[NEG_SOA])));
}

// ---------------------------------------------------------------- catalog

#[test]
fn longest_match_wins() {
    let r = ask(&catalog(), "www.sub.example.test.", A);
    assert_eq!(r.answer, ["www.sub.example.test. 600 IN A 192.0.2.10"]);
    assert_eq!(r.authority, ["sub.example.test. 600 IN NS ns1.sub.example.test."]);
    let r = ask(&catalog(), "sub.example.test.", SOA);
    assert_eq!(r.answer, ["sub.example.test. 600 IN SOA ns1.sub.example.test. h.example.test. 1 2 3 4 7200"]);
}

#[test]
fn outside_the_zones_is_refused() {
    for name in ["www.example.org.", ".", "test.", "xexample.test."] {
        let r = ask(&catalog(), name, A);
        assert_eq!((r.flags.as_str(), r.rcode), ("qr", 5), "{name}");
        assert_eq!(r.question.len(), 1);
        assert!(r.answer.is_empty() && r.authority.is_empty() && r.additional.is_empty());
    }
    // With EDNS: Extended DNS Error 20, Not Authoritative.
    let r = ask_raw(&catalog(), &query_with("www.example.org.", A, 1, 0, Some((4096, false, 0))), Some(1232));
    assert_eq!(r.opt, Some((1232, false, vec![(15, vec![0, 20])])));
}

#[test]
fn catalog_rejects_duplicates() {
    let err = Catalog::new(vec![zone("example.test.", EXAMPLE), zone("Example.Test.", EXAMPLE)]).unwrap_err();
    assert!(matches!(err, CatalogError::DuplicateZone { .. }));
    let cat = catalog();
    assert!(cat.zone(&Name::from_ascii("SUB.example.test.").unwrap()).is_some());
    assert!(cat.zone(&Name::from_ascii("example.org.").unwrap()).is_none());
}

// ---------------------------------------------------------------- ANY

#[test]
fn any_gets_one_rrset() {
    let cat = catalog();
    // First of A, AAAA, SOA, MX, PTR in zone-file order: the SOA at the apex.
    let r = ask(&cat, "example.test.", ANY);
    assert_eq!(r.answer.len(), 1);
    assert!(r.answer[0].starts_with("example.test. 3600 IN SOA "));
    assert!(r.authority.is_empty() && r.additional.is_empty());
    let r = ask(&cat, "www.example.test.", ANY);
    assert_eq!(r.answer, ["www.example.test. 3600 IN A 192.0.2.80"]);
    let r = ask(&cat, "hinfo.example.test.", ANY);
    assert_eq!(r.answer, ["hinfo.example.test. 3600 IN HINFO \"cpu\" \"os\""]);
    let r = ask(&cat, "alias.example.test.", ANY);
    assert_eq!(r.answer, ["alias.example.test. 3600 IN CNAME www.example.test."]);
    let r = ask(&cat, "nope.example.test.", ANY);
    assert_eq!((r.rcode, r.authority.clone()), (3, strs(&[NEG_SOA])));
    let r = ask(&cat, "child.example.test.", ANY);
    assert_eq!((r.flags.as_str(), r.authority.clone()), ("qr", strs(&CHILD_NS)));
}

#[test]
fn dnskey_and_ds_answers_leave_out_apex_ns() {
    let r = ask(&catalog(), "example.test.", DNSKEY);
    assert_eq!(r.authority, [NEG_SOA]);
    let r = ask(&catalog(), "child.example.test.", DS);
    assert!(r.authority.is_empty());
}

// ---------------------------------------------------------------- EDNS

#[test]
fn opt_is_echoed_with_our_size_and_do() {
    let q = query_with("www.example.test.", A, 1, 0, Some((4096, true, 0)));
    let r = ask_raw(&catalog(), &q, Some(1232));
    assert_eq!(r.opt, Some((1232, true, vec![])));
    assert_eq!(r.header.arcount, 4);
    let q = query_with("www.example.test.", A, 1, 0, Some((4096, false, 0)));
    let r = ask_raw(&catalog(), &q, Some(1400));
    assert_eq!(r.opt, Some((1400, false, vec![])));
    // Over TCP the default is advertised.
    let r = ask_raw(&catalog(), &q, None);
    assert_eq!(r.opt, Some((DEFAULT_MAX_UDP, false, vec![])));
}

#[test]
fn badvers_for_edns_version_1() {
    let q = query_with("www.example.test.", A, 1, 0x0130, Some((4096, true, 1)));
    let out = ask_bytes(&catalog(), &q, Some(1232));
    let r = decode(&out);
    assert_eq!(r.rcode, 16);
    assert_eq!(r.flags, "qr rd cd");
    assert_eq!(r.question, ["www.example.test. IN A"]);
    assert!(r.answer.is_empty() && r.authority.is_empty() && r.additional.is_empty());
    // NSD does not echo DO in BADVERS.
    assert_eq!(r.opt, Some((1232, false, vec![])));
    assert_eq!(&out[out.len() - 11..], [0, 0, 41, 4, 0xd0, 1, 0, 0, 0, 0, 0]);
}

#[test]
fn unknown_options_are_ignored() {
    let mut q = query_with("www.example.test.", A, 1, 0, Some((1232, false, 0)));
    let n = q.len();
    q[n - 2..].copy_from_slice(&8u16.to_be_bytes());
    q.extend_from_slice(&[0xfd, 0xe9, 0, 4, 1, 2, 3, 4]);
    let r = ask_raw(&catalog(), &q, Some(1232));
    assert_eq!((r.rcode, r.answer.len()), (0, 1));
    assert_eq!(r.opt, Some((1232, false, vec![])));
}

// ---------------------------------------------------------------- truncation

#[test]
fn udp_without_edns_truncates_whole_rrsets() {
    let cat = big();
    let out = ask_bytes(&cat, &query("txt.big.test.", TXT), Some(1232));
    let r = decode(&out);
    assert_eq!(r.flags, "qr aa tc");
    assert_eq!(r.question.len(), 1);
    assert!(r.answer.is_empty() && r.authority.is_empty() && r.additional.is_empty());
    // A CNAME chain keeps the RRsets that fit.
    let r = ask(&cat, "c1.big.test.", TXT);
    assert_eq!(r.flags, "qr aa tc");
    assert_eq!(
        r.answer,
        ["c1.big.test. 300 IN CNAME c2.big.test.", "c2.big.test. 300 IN CNAME txt.big.test."]
    );
}

#[test]
fn edns_size_limits_udp() {
    let cat = big();
    // Client 4096, our maximum 1232: the 40 TXT records do not fit.
    let q = query_with("txt.big.test.", TXT, 1, 0, Some((4096, false, 0)));
    let r = ask_raw(&cat, &q, Some(1232));
    assert_eq!((r.flags.as_str(), r.answer.len()), ("qr aa tc", 0));
    assert!(r.len <= 1232 && r.opt.is_some());
    // With a 4096 maximum they do; the optional NS RRset would pass NSD's 1232
    // bytes for optional data, so it is left out, without TC.
    let r = ask_raw(&cat, &q, Some(4096));
    assert_eq!((r.flags.as_str(), r.answer.len(), r.authority.len()), ("qr aa", 40, 0));
    // Below 512 the client gets 512.
    let q = query_with("small.big.test.", TXT, 1, 0, Some((100, false, 0)));
    let r = ask_raw(&cat, &q, Some(1232));
    assert_eq!((r.flags.as_str(), r.answer.len()), ("qr aa", 20));
    assert!(r.len <= 512);
}

#[test]
fn additional_data_that_does_not_fit_is_dropped_without_tc() {
    let cat = big();
    // 20 small TXT records leave no room for the 13 apex NS and their addresses
    // in 512 bytes: NS records that do not fit are left out, no TC.
    let r = ask(&cat, "small.big.test.", TXT);
    assert_eq!(
        (r.flags.as_str(), r.answer.len(), r.authority.len(), r.additional.len()),
        ("qr aa", 20, 0, 0)
    );
    // Over TCP everything fits.
    let r = ask_raw(&cat, &query("small.big.test.", TXT), None);
    assert_eq!(
        (r.flags.as_str(), r.answer.len(), r.authority.len(), r.additional.len()),
        ("qr aa", 20, 13, 26)
    );
}

#[test]
fn referral_without_room_for_glue_is_truncated() {
    let cat = big();
    // The 9 NS records fill 502 of 512 bytes; no glue fits: TC (as NSD).
    let r = ask(&cat, "x.deleg.big.test.", A);
    assert_eq!((r.flags.as_str(), r.authority.len(), r.additional.len(), r.len), ("qr tc", 9, 0, 502));
    // With room, no TC.
    let r = ask_raw(&cat, &query_with("x.deleg.big.test.", A, 1, 0, Some((1232, false, 0))), Some(1232));
    assert_eq!((r.flags.as_str(), r.authority.len(), r.additional.len()), ("qr", 9, 9));
}

#[test]
fn tcp_has_no_size_limit_below_64k() {
    let cat = big();
    let r = ask_raw(&cat, &query("txt.big.test.", TXT), None);
    assert_eq!(
        (r.flags.as_str(), r.answer.len(), r.authority.len(), r.additional.len()),
        ("qr aa", 40, 13, 26)
    );
}

// ---------------------------------------------------------------- errors

fn header_of(out: &[u8]) -> (u16, u16, [u16; 4]) {
    let w = |i: usize| u16::from_be_bytes([out[i], out[i + 1]]);
    (w(0), w(2), [w(4), w(6), w(8), w(10)])
}

#[test]
fn no_answer_to_short_datagrams_or_responses() {
    let cat = catalog();
    let mut out = vec![1, 2, 3];
    for n in 0..12 {
        assert_eq!(answer(&cat, &[0u8; 12][..n], Some(1232), &mut out), AnswerOutcome::Drop);
        assert!(out.is_empty());
    }
    let q = query_with("www.example.test.", A, 1, 0x8000, None);
    assert_eq!(answer(&cat, &q, Some(1232), &mut out), AnswerOutcome::Drop);
}

#[test]
fn unknown_opcodes_get_notimp() {
    for opcode in [1u16, 2, 3, 5, 6, 15] {
        let q = query_with("www.example.test.", A, 1, (opcode << 11) | 0x0130, None);
        let out = ask_bytes(&catalog(), &q, Some(1232));
        // Header only; the query's flags kept but AD; QR set.
        assert_eq!(
            header_of(&out),
            (0x1234, 0x8000 | (opcode << 11) | 0x0110 | 4, [0; 4]),
            "opcode {opcode}"
        );
        assert_eq!(out.len(), 12);
    }
}

#[test]
fn notify_is_refused() {
    let q = query_with("example.test.", SOA, 1, 4 << 11, None);
    assert_eq!(header_of(&ask_bytes(&catalog(), &q, Some(1232))), (0x1234, 0xa005, [0; 4]));
    // For a name that is not a zone: NXDOMAIN.
    let q = query_with("www.example.test.", SOA, 1, 4 << 11, None);
    assert_eq!(header_of(&ask_bytes(&catalog(), &q, Some(1232))), (0x1234, 0xa003, [0; 4]));
}

#[test]
fn malformed_queries_get_formerr() {
    let cat = catalog();
    let good = query_with("www.example.test.", A, 1, 0x0100, None);
    let formerr_rd = (0x1234, 0x8101, [0u16; 4]);
    let check = |q: &[u8], want: (u16, u16, [u16; 4]), what: &str| {
        let out = ask_bytes(&cat, q, Some(1232));
        assert_eq!((header_of(&out), out.len()), (want, 12), "{what}");
    };
    // Nonzero RCODE in a query.
    let mut q = good.clone();
    q[3] |= 3;
    check(&q, formerr_rd, "rcode");
    // Answer or authority records.
    for i in [7, 9] {
        let mut q = good.clone();
        q[i] = 1;
        check(&q, formerr_rd, "an/ns count");
    }
    // Bad names: a pointer, a reserved label type, an overrun, too long.
    let mut q = good[..12].to_vec();
    q.extend_from_slice(b"\x03www\xc0\x0c\x00\x01\x00\x01");
    check(&q, formerr_rd, "pointer");
    let mut q = good[..12].to_vec();
    q.extend_from_slice(b"\x43www\x00\x00\x01\x00\x01");
    check(&q, formerr_rd, "label type");
    check(&good[..good.len() - 1], formerr_rd, "short question");
    check(&good[..12], formerr_rd, "no question");
    let mut q = good[..12].to_vec();
    for _ in 0..4 {
        q.push(63);
        q.extend_from_slice(&[b'a'; 63]);
    }
    q.extend_from_slice(&[0, 0, 1, 0, 1]);
    check(&q, formerr_rd, "name over 255 bytes");
    // A record that is not OPT in the additional section; two OPTs; a bad option.
    let mut q = good.clone();
    q[11] = 1;
    q.extend_from_slice(&[0, 0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4]);
    check(&q, formerr_rd, "A in additional");
    let mut q = query_with("www.example.test.", A, 1, 0x0100, Some((1232, false, 0)));
    q[11] = 2;
    q.extend_from_slice(&[0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
    check(&q, formerr_rd, "two OPTs");
    let mut q = query_with("www.example.test.", A, 1, 0x0100, Some((1232, false, 0)));
    let n = q.len();
    q[n - 2..].copy_from_slice(&4u16.to_be_bytes());
    q.extend_from_slice(&[0xfd, 0xe9, 0, 9]);
    check(&q, formerr_rd, "option overrun");
    // QDCOUNT other than 1: RD cleared.
    let mut q = good.clone();
    q[5] = 2;
    check(&q, (0x1234, 0x8001, [0; 4]), "qdcount 2");
    let mut q = good.clone();
    q[5] = 0;
    check(&q, (0x1234, 0x8001, [0; 4]), "qdcount 0");
}

#[test]
fn trailing_bytes_are_ignored() {
    let mut q = query("www.example.test.", A);
    q.extend_from_slice(&[1, 2, 3]);
    let r = ask_raw(&catalog(), &q, Some(1232));
    assert_eq!((r.rcode, r.answer.len()), (0, 1));
}

#[test]
fn edns_probe_without_question() {
    let mut q = vec![0x12, 0x34, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 1];
    q.extend_from_slice(&[0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
    let out = ask_bytes(&catalog(), &q, Some(1232));
    assert_eq!(header_of(&out), (0x1234, 0x8100, [0, 0, 0, 1]));
    assert_eq!(&out[12..], [0, 0, 41, 4, 0xd0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn classes() {
    let cat = catalog();
    // CH: REFUSED with the question, version and identity not disclosed.
    let q = query_with("version.bind.", TXT, 3, 0, Some((1232, false, 0)));
    let r = ask_raw(&cat, &q, Some(1232));
    assert_eq!((r.flags.as_str(), r.rcode, r.question.clone()), ("qr", 5, strs(&["version.bind. CH TXT"])));
    assert_eq!(r.opt, Some((1232, false, vec![(15, vec![0, 18])])));
    let r = ask_raw(&cat, &query_with("foo.bar.", A, 3, 0, None), Some(1232));
    assert_eq!((r.rcode, r.question.len()), (5, 1));
    // Another class: REFUSED without the question.
    let q = query_with("www.example.test.", A, 4, 0, Some((1232, false, 0)));
    let out = ask_bytes(&cat, &q, Some(1232));
    assert_eq!(header_of(&out), (0x1234, 0x8005, [0, 0, 0, 1]));
    assert_eq!(decode(&out).opt, Some((1232, false, vec![(15, vec![0, 21])])));
    // ANY: answered without AA, negative answers without SOA.
    let r = ask_raw(&cat, &query_with("www.example.test.", A, 255, 0, None), Some(1232));
    assert_eq!((r.flags.as_str(), r.answer.len(), r.authority.len()), ("qr", 1, 0));
    let r = ask_raw(&cat, &query_with("nx.example.test.", A, 255, 0, None), Some(1232));
    assert_eq!((r.flags.as_str(), r.rcode, r.authority.len()), ("qr", 3, 0));
}

#[test]
fn zone_transfers_are_not_served() {
    let cat = catalog();
    let r = ask_raw(&cat, &query("example.test.", 252), Some(1232));
    assert_eq!((r.rcode, r.question.len()), (4, 1));
    let r = ask_raw(&cat, &query("example.test.", 252), None);
    assert_eq!((r.rcode, r.question.len()), (5, 1));
    let r = ask_raw(&cat, &query("www.example.test.", 252), None);
    assert_eq!(r.rcode, 9);
    let r = ask_raw(&cat, &query("example.test.", 251), Some(1232));
    assert_eq!(r.rcode, 5);
}

// ---------------------------------------------------------------- NSD's bytes

fn hex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

/// Responses captured from NSD 4.6.1 serving the same zones (id 0x1234).
#[test]
fn nsd_bytes() {
    let cat = catalog();
    let cases: &[(&str, u16, bool, &str)] = &[
        (
            "www.example.test.",
            A,
            true,
            "123484000001000100020004037777770765786\
             16d706c6504746573740000010001c00c0001000100000e100004c0000250c0100002000100000e10\
             0006036e7331c010c0100002000100000e100006036e7332c010c03e0001000100000e100004c0000235\
             c0500001000100000e100004c6336435c03e001c000100000e10001020010db8000000000000000000\
             00005300002904d0000000000000",
        ),
        (
            "nope.example.test.",
            A,
            false,
            "12348403000100000001000004\
             6e6f7065076578616d706c650474657374000001000\
             1c011000600010000012c0027036e7331c0110a686f73746d6173746572c01178a3f17500001c200000\
             0e10001275000000012c",
        ),
        (
            "ns1.dnchild.example.test.",
            A,
            false,
            "123484000001000200030002036e733107646e6368696c64076578616d706c650474657374000001000\
             1c0100027000100000e100014056368696c64076578616d706c65047465737400c00c0005000100000e10\
             000c036e7331056368696c64c018c05a0002000100000e100002c056c05a0002000100000e100006036e\
             7332c05ac05a0002000100000e100010026e73076578616d706c65036f726700c0560001000100000e10\
             0004c0000299c07c001c000100000e10001020010db8000000000000000000000153",
        ),
    ];
    for &(name, t, edns, want) in cases {
        let q = query_with(name, t, 1, 0, edns.then_some((1232, false, 0)));
        let want: String = want.split_whitespace().collect();
        assert_eq!(ask_bytes(&cat, &q, Some(1232)), hex(&want), "{name}");
    }
}

// ---------------------------------------------------------------- zone building

fn build(text: &str) -> Result<Zone, ZoneBuildError> {
    let origin = Name::from_ascii("t.").unwrap();
    let text = format!("$ORIGIN t.\n$TTL 300\n{text}");
    Zone::new(origin.clone(), parse_zone(&text, &origin, "t.zone", &mut |_| Err("no".into())).unwrap())
}

#[test]
fn zone_build_checks() {
    assert!(matches!(build("@ NS ns\nns A 192.0.2.1\n"), Err(ZoneBuildError::NoSoa { .. })));
    let soa = "@ SOA ns hm 1 2 3 4 5\n";
    assert!(matches!(
        build(&format!("{soa}{soa}x SOA a b 1 2 3 4 5\n")),
        Err(ZoneBuildError::ExtraSoa { .. })
    ));
    assert!(matches!(build(&format!("{soa}x.other. A 192.0.2.1\n")), Err(ZoneBuildError::OutOfZone { .. })));
    assert!(matches!(
        build(&format!("{soa}c CNAME x\nc A 192.0.2.1\n")),
        Err(ZoneBuildError::CnameAndOtherData { .. })
    ));
    assert!(matches!(
        build(&format!("{soa}c CNAME x\nc CNAME y\n")),
        Err(ZoneBuildError::MultipleCnames { .. })
    ));
    assert!(matches!(
        build(&format!("{soa}d DNAME x\nd DNAME y\n")),
        Err(ZoneBuildError::MultipleDnames { .. })
    ));
    let origin = Name::from_ascii("t.").unwrap();
    let mut records =
        parse_zone(&format!("$ORIGIN t.\n{soa}x TXT a\n"), &origin, "t", &mut |_| Err("no".into())).unwrap();
    records[1].class = crate::rdata::Class::CH;
    assert!(matches!(Zone::new(origin, records), Err(ZoneBuildError::WrongClass { .. })));
    // Duplicates are dropped; the same SOA twice is one SOA.
    let z = build(&format!("{soa}{soa}a A 192.0.2.1\nA A 192.0.2.1\na 600 A 192.0.2.2\n")).unwrap();
    assert_eq!((z.record_count(), z.node_count(), z.serial()), (3, 2, 1));
    assert_eq!(z.origin(), &Name::from_ascii("t.").unwrap());
}

#[test]
fn records_keep_their_own_ttl() {
    let z = build("@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\nns 600 A 192.0.2.2\n").unwrap();
    let cat = Catalog::new(vec![z]).unwrap();
    let r = ask(&cat, "ns.t.", A);
    assert_eq!(r.answer, ["ns.t. 300 IN A 192.0.2.1", "ns.t. 600 IN A 192.0.2.2"]);
}

// ---------------------------------------------------------------- robustness

/// Mutated queries never panic, and every response decodes.
#[test]
fn mutated_queries_do_not_panic() {
    let cat = catalog();
    let seeds: Vec<Vec<u8>> = [
        ("www.example.test.", A),
        ("x.dn.example.test.", A),
        ("foo.wild.example.test.", MX),
        ("host.child.example.test.", A),
    ]
    .iter()
    .flat_map(|&(n, t)| [query(n, t), query_with(n, t, 1, 0x0100, Some((4096, true, 0)))])
    .collect();
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut out = Vec::new();
    for i in 0..20_000 {
        let mut q = seeds[i % seeds.len()].clone();
        for _ in 0..1 + next() % 3 {
            let r = next() as usize;
            match r % 3 {
                0 if !q.is_empty() => {
                    let at = r / 3 % q.len();
                    q[at] = (r >> 16) as u8;
                }
                1 if !q.is_empty() => q.truncate(r / 3 % q.len()),
                _ => q.push(r as u8),
            }
        }
        for max in [Some(512), Some(1232), None] {
            if answer(&cat, &q, max, &mut out) == AnswerOutcome::Respond {
                assert!(out.len() >= 12);
                assert!(Message::decode(&out).is_ok(), "response to {q:02x?} does not decode: {out:02x?}");
                if let Some(m) = max {
                    assert!(out.len() <= usize::from(m.max(512)));
                }
            }
        }
    }
}

#[test]
fn root_zone() {
    let text = "$TTL 86400\n. SOA a.root. nstld. 1 2 3 4 86400\n. NS a.root.\na.root. A 192.0.2.1\ntest. NS ns.test.\nns.test. A 192.0.2.2\n";
    let cat = Catalog::new(vec![zone(".", text)]).unwrap();
    let r = ask(&cat, "www.example.test.", A);
    assert_eq!((r.flags.as_str(), r.rcode), ("qr", 0));
    assert_eq!(r.authority, ["test. 86400 IN NS ns.test."]);
    assert_eq!(r.additional, ["ns.test. 86400 IN A 192.0.2.2"]);
    let r = ask(&cat, ".", NS);
    assert_eq!((r.flags.as_str(), r.answer.clone()), ("qr aa", strs(&[". 86400 IN NS a.root."])));
    let r = ask(&cat, "nope.", A);
    assert_eq!(r.rcode, 3);
}

#[test]
fn long_cname_chains_are_bounded() {
    let mut text = String::from("$ORIGIN c.\n$TTL 60\n@ SOA ns hm 1 2 3 4 5\n@ NS ns\nns A 192.0.2.1\n");
    for i in 0..100 {
        text += &format!("c{i} CNAME c{}\n", i + 1);
    }
    text += "c100 A 192.0.2.100\n";
    let cat = Catalog::new(vec![zone("c.", &text)]).unwrap();
    let r = ask_raw(&cat, &query("c0.c.", A), None);
    assert_eq!((r.rcode, r.answer.len()), (0, 65));
    // Shorter chains are followed to the end.
    let r = ask_raw(&cat, &query("c50.c.", A), None);
    assert_eq!(r.answer.len(), 51);
    assert_eq!(r.answer[50], "c100.c. 60 IN A 192.0.2.100");
}
