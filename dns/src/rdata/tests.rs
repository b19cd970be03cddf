//! Wire round trips and presentation checks for every RDATA type.

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::net::{Ipv4Addr, Ipv6Addr};

use proptest::prelude::*;

use super::text::{decode_base32hex, decode_base64, decode_hex};
use super::*;

fn n(s: &str) -> Name {
    Name::from_ascii(s).unwrap()
}

fn hex(s: &str) -> Vec<u8> {
    decode_hex(s).unwrap()
}

/// Encodes uncompressed, decodes back, checks equality, and returns the wire.
fn round_trip(rdata: &Rdata) -> Vec<u8> {
    let wire = rdata.to_wire();
    let mut pos = 0;
    let back = Rdata::decode(rdata.rtype(), &wire, &mut pos, wire.len() as u16)
        .unwrap_or_else(|e| panic!("{rdata:?}: {e}"));
    assert_eq!(&back, rdata);
    assert_eq!(pos, wire.len());
    wire
}

fn check(rdata: Rdata, text: &str, wire: Option<&str>) {
    let got = round_trip(&rdata);
    assert_eq!(rdata.to_string(), text, "{:?}", rdata.rtype());
    if let Some(w) = wire {
        assert_eq!(got, hex(w), "{:?}", rdata.rtype());
    }
    assert_eq!(rdata.validate(), Ok(()));
}

#[test]
fn addresses_and_names() {
    check(Rdata::A(Ipv4Addr::new(192, 0, 2, 1)), "192.0.2.1", Some("C0000201"));
    check(
        Rdata::Aaaa("2001:db8::1".parse().unwrap()),
        "2001:db8::1",
        Some("20010DB8000000000000000000000001"),
    );
    check(Rdata::Aaaa("::ffff:192.0.2.1".parse().unwrap()), "::ffff:192.0.2.1", None);
    check(Rdata::Ns(n("ns1.Example.com")), "ns1.Example.com.", Some("036E7331074578616D706C6503636F6D00"));
    check(Rdata::Cname(n("www.example.com")), "www.example.com.", None);
    check(Rdata::Dname(n("example.net")), "example.net.", None);
    check(Rdata::Ptr(n("host.example")), "host.example.", None);
    check(
        Rdata::Mx { preference: 10, exchange: n("mail.example.com") },
        "10 mail.example.com.",
        Some("000A046D61696C076578616D706C6503636F6D00"),
    );
    check(
        Rdata::Rp { mbox: n("admin.example.com"), txt: n("info.example.com") },
        "admin.example.com. info.example.com.",
        None,
    );
    check(
        Rdata::Srv { priority: 0, weight: 5, port: 5060, target: n("sip.example.com") },
        "0 5 5060 sip.example.com.",
        Some("0000000513C403736970076578616D706C6503636F6D00"),
    );
    check(
        Rdata::Soa(Soa {
            mname: n("ns1.example.com"),
            rname: n("hostmaster.example.com"),
            serial: 2024010101,
            refresh: 7200,
            retry: 3600,
            expire: 1209600,
            minimum: 300,
        }),
        "ns1.example.com. hostmaster.example.com. 2024010101 7200 3600 1209600 300",
        None,
    );
}

#[test]
fn strings() {
    check(
        Rdata::Txt(vec![b"hello world".to_vec(), b"say \"hi\" \\o/".to_vec(), vec![0, 0xff, b'a']]),
        r#""hello world" "say \"hi\" \\o/" "\000\255a""#,
        None,
    );
    check(Rdata::Txt(vec![Vec::new()]), r#""""#, Some("00"));
    check(Rdata::Spf(vec![b"v=spf1 -all".to_vec()]), r#""v=spf1 -all""#, Some("0B763D73706631202D616C6C"));
    check(
        Rdata::Hinfo { cpu: b"PC".to_vec(), os: b"Linux 6".to_vec() },
        r#""PC" "Linux 6""#,
        Some("025043074C696E75782036"),
    );
    check(
        Rdata::Naptr(Naptr {
            order: 100,
            preference: 10,
            flags: b"S".to_vec(),
            services: b"SIP+D2U".to_vec(),
            regexp: Vec::new(),
            replacement: n("_sip._udp.example.com"),
        }),
        r#"100 10 "S" "SIP+D2U" "" _sip._udp.example.com."#,
        None,
    );
    check(
        Rdata::Naptr(Naptr {
            order: 100,
            preference: 50,
            flags: b"a".to_vec(),
            services: b"z3950+N2L+N2C".to_vec(),
            regexp: b"!^urn:cid:.+@([^\\.]+\\.)(.*)$!\\2!i".to_vec(),
            replacement: Name::root(),
        }),
        r#"100 50 "a" "z3950+N2L+N2C" "!^urn:cid:.+@([^\\.]+\\.)(.*)$!\\2!i" ."#,
        None,
    );
    check(
        Rdata::Caa { flags: 0, tag: b"issue".to_vec(), value: b"letsencrypt.org".to_vec() },
        r#"0 issue "letsencrypt.org""#,
        Some("000569737375656C657473656E63727970742E6F7267"),
    );
    check(
        Rdata::Caa { flags: 128, tag: b"iodef".to_vec(), value: b"mailto:security@example.com".to_vec() },
        r#"128 iodef "mailto:security@example.com""#,
        None,
    );
}

#[test]
fn hashes_and_keys() {
    // RFC 4255 §3.2 example.
    check(
        Rdata::Sshfp {
            algorithm: 2,
            fp_type: 1,
            fingerprint: hex("123456789abcdef67890123456789abcdef67890"),
        },
        "2 1 123456789ABCDEF67890123456789ABCDEF67890",
        Some("0201123456789ABCDEF67890123456789ABCDEF67890"),
    );
    // RFC 6698 §2.3 example.
    check(
        Rdata::Tlsa {
            usage: 0,
            selector: 0,
            matching_type: 1,
            data: hex("d2abde240d7cd3ee6b4b28c54df034b97983a1d16e8a410e4561cb106618e971"),
        },
        "0 0 1 D2ABDE240D7CD3EE6B4B28C54DF034B97983A1D16E8A410E4561CB106618E971",
        None,
    );
    // RFC 4034 §5.4 example.
    let ds = Ds {
        key_tag: 60485,
        algorithm: 5,
        digest_type: 1,
        digest: hex("2BB183AF5F22588179A53B0A98631FAD1A292118"),
    };
    check(
        Rdata::Ds(ds.clone()),
        "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118",
        Some("EC4505012BB183AF5F22588179A53B0A98631FAD1A292118"),
    );
    check(Rdata::Cds(ds), "60485 5 1 2BB183AF5F22588179A53B0A98631FAD1A292118", None);
    // RFC 4034 §2.3 example.
    let b64 = "AQPSKmynfzW4kyBv015MUG2DeIQ3Cbl+BBZH4b/0PY1kxkmvHjcZc8nokfzj31GajIQKY+5CptLr3buXA10hWqTkF7H6RfoRqXQeogmMHfpftf6zMv1LyBUgia7za6ZEzOJBOztyvhjL742iU/TpPSEDhm2SNKLijfUppn1UaNvv4w==";
    let key = Dnskey { flags: 256, protocol: 3, algorithm: 5, public_key: decode_base64(b64).unwrap() };
    check(Rdata::Dnskey(key.clone()), &alloc::format!("256 3 5 {b64}"), None);
    check(Rdata::Cdnskey(key), &alloc::format!("256 3 5 {b64}"), None);
    // RFC 4034 §3.3 example.
    let sig = "oJB1W6WNGv+ldvQ3WDG0MQkg5IEhjRip8WTrPYGv07h108dUKGMeDPKijVCHX3DDKdfb+v6oB9wfuh3DTJXUAfI/M0zmO/zz8bW0Rznl8O3tGNazPwQKkRN20XPXV6nwwfoXmJQbsLNrLfkGJ5D6fwFm8nN+6pBzeDQfsS3Ap3o=";
    check(
        Rdata::Rrsig(Rrsig {
            type_covered: Rtype::A,
            algorithm: 5,
            labels: 3,
            original_ttl: 86400,
            expiration: text::parse_rrsig_time("20030322173103").unwrap(),
            inception: text::parse_rrsig_time("20030220173103").unwrap(),
            key_tag: 2642,
            signer: n("example.com"),
            signature: decode_base64(sig).unwrap(),
        }),
        &alloc::format!("A 5 3 86400 20030322173103 20030220173103 2642 example.com. {sig}"),
        None,
    );
}

#[test]
fn nsec_family() {
    // RFC 4034 §4.3 example, wire given there.
    check(
        Rdata::Nsec {
            next: n("host.example.com"),
            types: TypeBitmap::new([Rtype::A, Rtype::MX, Rtype::RRSIG, Rtype::NSEC, Rtype(1234)]),
        },
        "host.example.com. A MX RRSIG NSEC TYPE1234",
        Some(concat!(
            "04686F7374076578616D706C6503636F6D00",
            "0006400100000003",
            "041B000000000000000000000000000000000000000000000000000020"
        )),
    );
    check(Rdata::Nsec { next: n("a."), types: TypeBitmap::default() }, "a.", Some("016100"));
    // RFC 5155 Appendix A.
    check(
        Rdata::Nsec3(Nsec3 {
            hash_algorithm: 1,
            flags: 1,
            iterations: 12,
            salt: hex("aabbccdd"),
            next_hashed: decode_base32hex("2t7b4g4vsa5smi47k61mv5bv1a22bojr").unwrap(),
            types: TypeBitmap::new([
                Rtype::MX,
                Rtype::DNSKEY,
                Rtype::NS,
                Rtype::SOA,
                Rtype::NSEC3PARAM,
                Rtype::RRSIG,
            ]),
        }),
        "1 1 12 AABBCCDD 2T7B4G4VSA5SMI47K61MV5BV1A22BOJR NS SOA MX RRSIG DNSKEY NSEC3PARAM",
        None,
    );
    check(
        Rdata::Nsec3param(Nsec3param { hash_algorithm: 1, flags: 0, iterations: 12, salt: hex("aabbccdd") }),
        "1 0 12 AABBCCDD",
        Some("0100000C04AABBCCDD"),
    );
    check(
        Rdata::Nsec3param(Nsec3param { hash_algorithm: 1, flags: 0, iterations: 0, salt: Vec::new() }),
        "1 0 0 -",
        Some("0100000000"),
    );
}

#[test]
fn svcb_rfc9460_appendix_d() {
    let p = |k: &str, v: Option<&str>| SvcParam::from_presentation(k, v).unwrap();
    // D.1 AliasMode.
    check(
        Rdata::Https(SvcbRdata { priority: 0, target: n("foo.example.com"), params: Vec::new() }),
        "0 foo.example.com.",
        Some("0000 03666f6f076578616d706c6503636f6d00"),
    );
    // D.2 Figure 4: port.
    check(
        Rdata::Svcb(SvcbRdata {
            priority: 16,
            target: n("foo.example.com"),
            params: vec![p("port", Some("53"))],
        }),
        "16 foo.example.com. port=53",
        Some("0010 03666f6f076578616d706c6503636f6d00 0003 0002 0035"),
    );
    // Figure 5: a generic key with a value.
    check(
        Rdata::Svcb(SvcbRdata {
            priority: 1,
            target: n("foo.example.com"),
            params: vec![p("key667", Some("hello"))],
        }),
        r#"1 foo.example.com. key667="hello""#,
        Some("0001 03666f6f076578616d706c6503636f6d00 029b 0005 68656c6c6f"),
    );
    // Figure 6: a generic key with escapes.
    check(
        Rdata::Svcb(SvcbRdata {
            priority: 1,
            target: n("foo.example.com"),
            params: vec![p("key667", Some(r"hello\210qoo"))],
        }),
        r#"1 foo.example.com. key667="hello\210qoo""#,
        Some("0001 03666f6f076578616d706c6503636f6d00 029b 0009 68656c6c6fd2716f6f"),
    );
    // Figure 7: two IPv6 hints.
    check(
        Rdata::Svcb(SvcbRdata {
            priority: 1,
            target: n("foo.example.com"),
            params: vec![p("ipv6hint", Some("2001:db8::1,2001:db8::53:1"))],
        }),
        "1 foo.example.com. ipv6hint=2001:db8::1,2001:db8::53:1",
        Some(concat!(
            "0001 03666f6f076578616d706c6503636f6d00 0006 0020",
            "20010db8000000000000000000000001 20010db8000000000000000000530001"
        )),
    );
    // Figure 9: mandatory, alpn, ipv4hint (keys given out of order in the RFC text).
    check(
        Rdata::Svcb(SvcbRdata {
            priority: 16,
            target: n("foo.example.org"),
            params: vec![
                p("mandatory", Some("alpn,ipv4hint")),
                p("alpn", Some("h2,h3-19")),
                p("ipv4hint", Some("192.0.2.1")),
            ],
        }),
        r#"16 foo.example.org. mandatory=alpn,ipv4hint alpn="h2,h3-19" ipv4hint=192.0.2.1"#,
        Some(concat!(
            "0010 03666f6f076578616d706c65036f726700",
            "0000 0004 0001 0004",
            "0001 0009 02 6832 05 68332d3139",
            "0004 0004 c0000201"
        )),
    );
    // Figure 10: alpn values with an escaped comma and backslash.
    check(
        Rdata::Svcb(SvcbRdata {
            priority: 16,
            target: n("foo.example.org"),
            params: vec![p("alpn", Some(r"f\\\\oo\\,bar,h2"))],
        }),
        r#"16 foo.example.org. alpn="f\\\\oo\\,bar,h2""#,
        Some("0010 03666f6f076578616d706c65036f726700 0001 000c 08 665c6f6f2c626172 02 6832"),
    );
    check(
        Rdata::Https(SvcbRdata {
            priority: 1,
            target: Name::root(),
            params: vec![
                p("alpn", Some("h3,h2")),
                p("no-default-alpn", None),
                p("port", Some("8443")),
                p("ipv4hint", Some("104.16.132.229,104.16.133.229")),
                p("ech", Some("AEX+DQBB")),
            ],
        }),
        r#"1 . alpn="h3,h2" no-default-alpn port=8443 ipv4hint=104.16.132.229,104.16.133.229 ech=AEX+DQBB"#,
        None,
    );
    // SvcbRdata::new sorts, and checks mandatory.
    let s = SvcbRdata::new(
        1,
        Name::root(),
        vec![p("port", Some("53")), p("mandatory", Some("port")), p("alpn", Some("h2"))],
    )
    .unwrap();
    assert_eq!(s.params.iter().map(|p| p.key).collect::<Vec<_>>(), [0, 1, 3]);
    assert!(SvcbRdata::new(1, Name::root(), vec![p("mandatory", Some("port"))]).is_err());
    assert!(SvcbRdata::new(1, Name::root(), vec![p("port", Some("1")), p("port", Some("2"))]).is_err());
    // Malformed values of known keys are rejected on decode...
    let wire = hex("0001 00 0003 0001 01");
    assert_eq!(
        Rdata::decode(Rtype::SVCB, &wire, &mut 0, wire.len() as u16),
        Err(WireError::BadRdata {
            rtype: Rtype::SVCB,
            offset: 3,
            reason: "malformed SvcParamValue for its key"
        })
    );
    // ...and shown as generic keys if built by hand.
    let odd = Rdata::Svcb(SvcbRdata {
        priority: 1,
        target: Name::root(),
        params: vec![SvcParam { key: 3, value: vec![1] }, SvcParam { key: 9, value: Vec::new() }],
    });
    assert_eq!(odd.to_string(), r#"1 . key3="\001" key9"#);
    assert!(SvcParam::from_presentation("alpn", Some("")).is_err());
    assert!(SvcParam::from_presentation("port", Some("65536")).is_err());
    assert!(SvcParam::from_presentation("key65535", None).is_err());
    assert!(SvcParam::from_presentation("mandatory", Some("port,port")).is_err());
}

#[test]
fn loc() {
    let l = Loc::from_presentation("52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m").unwrap();
    assert_eq!(
        l,
        Loc {
            version: 0,
            size: 0x00,
            horiz_pre: 0x16,
            vert_pre: 0x13,
            latitude: 0x8b3c_f018,
            longitude: 0x810c_bce0,
            altitude: 0x0098_95b8,
        }
    );
    check(
        Rdata::Loc(l),
        "52 22 23.000 N 4 53 32.000 E -2.00m 0.00m 10000m 10m",
        Some("00001613 8B3CF018 810CBCE0 009895B8"),
    );
    // Defaults and short forms (RFC 1876 §3).
    let l = Loc::from_presentation("42 21 54 N 71 06 18 W -24m").unwrap();
    assert_eq!(Rdata::Loc(l).to_string(), "42 21 54.000 N 71 6 18.000 W -24.00m 1m 10000m 10m");
    let l = Loc::from_presentation("42 N 71 W 10.5m 30m 0.5m 2").unwrap();
    assert_eq!(Rdata::Loc(l).to_string(), "42 0 0.000 N 71 0 0.000 W 10.50m 30m 0.50m 2m");
    let l = Loc::from_presentation("0 0 0.001 S 180 W 42849672.95m 90000000m").unwrap();
    assert_eq!(Rdata::Loc(l).to_string(), "0 0 0.001 S 180 0 0.000 W 42849672.95m 90000000m 10000m 10m");
    for bad in
        ["91 N 0 E 0m", "1 60 N 0 E 0m", "1 N 0 X 0m", "1 N 0 E", "1 N 0 E 0m 1m 1m 1m 1m", "1 N 181 E 0m"]
    {
        assert!(Loc::from_presentation(bad).is_err(), "{bad}");
    }
    // Version 1 is not modelled: it stays opaque.
    let wire = hex("0100161300000000000000000000000000");
    let mut pos = 0;
    let r = Rdata::decode(Rtype::LOC, &wire, &mut pos, wire.len() as u16).unwrap();
    assert_eq!(r, Rdata::Unknown { rtype: Rtype::LOC, data: wire.clone() });
    // Invalid nibbles are shown in RFC 3597 form.
    let odd = Rdata::Loc(Loc {
        version: 0,
        size: 0xa0,
        horiz_pre: 0,
        vert_pre: 0,
        latitude: 0,
        longitude: 0,
        altitude: 0,
    });
    assert!(odd.to_string().starts_with(r"\# 16 00A00000"));
}

#[test]
fn unknown_types() {
    check(
        Rdata::Unknown { rtype: Rtype(65534), data: vec![10, 0, 0, 1] },
        r"\# 4 0A000001",
        Some("0A000001"),
    );
    check(Rdata::Unknown { rtype: Rtype::NULL, data: Vec::new() }, r"\# 0", Some(""));
    check(Rdata::Unknown { rtype: Rtype::WKS, data: vec![1, 2, 3, 4, 6, 0x80] }, r"\# 6 010203040680", None);
}

#[test]
fn mnemonics() {
    assert_eq!(Rtype::A.to_string(), "A");
    assert_eq!(Rtype(65534).to_string(), "TYPE65534");
    assert_eq!(Rtype::NSAP_PTR.to_string(), "NSAP-PTR");
    assert_eq!("nsec3param".parse::<Rtype>(), Ok(Rtype::NSEC3PARAM));
    assert_eq!("TYPE1".parse::<Rtype>(), Ok(Rtype::A));
    assert_eq!("type65535".parse::<Rtype>(), Ok(Rtype(65535)));
    assert!("TYPE65536".parse::<Rtype>().is_err());
    assert!("TYPE".parse::<Rtype>().is_err());
    assert!("BOGUS".parse::<Rtype>().is_err());
    assert_eq!(Class::IN.to_string(), "IN");
    assert_eq!(Class(5).to_string(), "CLASS5");
    assert_eq!("ch".parse::<Class>(), Ok(Class::CH));
    assert_eq!("CLASS1".parse::<Class>(), Ok(Class::IN));
    assert!("IN2".parse::<Class>().is_err());
    for code in 0..=u16::MAX {
        let t = Rtype(code);
        assert_eq!(t.to_string().parse::<Rtype>(), Ok(t));
        let c = Class(code);
        assert_eq!(c.to_string().parse::<Class>(), Ok(c));
    }
}

#[test]
fn additional_names() {
    let ns = Rdata::Ns(n("ns1.example"));
    assert_eq!(ns.additional_names(), Some(&n("ns1.example")));
    let mx = Rdata::Mx { preference: 1, exchange: n("mx.example") };
    assert_eq!(mx.additional_names(), Some(&n("mx.example")));
    let srv = Rdata::Srv { priority: 1, weight: 1, port: 1, target: n("srv.example") };
    assert_eq!(srv.additional_names(), Some(&n("srv.example")));
    assert_eq!(Rdata::Cname(n("x.example")).additional_names(), None);
}

#[test]
fn compression_only_for_rfc1035_types() {
    let mut buf = Vec::new();
    let mut c = Compressor::new();
    c.write_name(&mut buf, &n("example.com"), true);
    let base = buf.len();
    Rdata::Mx { preference: 1, exchange: n("mail.example.com") }.encode(&mut buf, &mut c);
    assert_eq!(&buf[base..], b"\x00\x01\x04mail\xc0\x00");
    let base = buf.len();
    Rdata::Srv { priority: 0, weight: 0, port: 0, target: n("mail.example.com") }.encode(&mut buf, &mut c);
    assert_eq!(&buf[base + 6..], b"\x04mail\x07example\x03com\x00");
    let base = buf.len();
    Rdata::Soa(Soa {
        mname: n("ns.example.com"),
        rname: n("Mail.example.com"),
        serial: 1,
        refresh: 2,
        retry: 3,
        expire: 4,
        minimum: 5,
    })
    .encode(&mut buf, &mut c);
    // mname compressed to the apex; rname compressed to the MX exchange.
    assert_eq!(&buf[base..base + 7], b"\x02ns\xc0\x00\xc0\x0f");
    let mut pos = base;
    let soa = Rdata::decode(Rtype::SOA, &buf, &mut pos, (buf.len() - base) as u16).unwrap();
    assert_eq!(soa.to_string(), "ns.example.com. mail.example.com. 1 2 3 4 5");
}

#[test]
fn decode_rejections() {
    let dec = |t: Rtype, w: &[u8]| Rdata::decode(t, w, &mut 0, w.len() as u16);
    let bad =
        |t: Rtype, offset: usize, reason: &'static str| Err(WireError::BadRdata { rtype: t, offset, reason });
    assert_eq!(dec(Rtype::A, &[1, 2, 3]), bad(Rtype::A, 0, "field runs past RDLENGTH"));
    assert_eq!(dec(Rtype::A, &[1, 2, 3, 4, 5]), bad(Rtype::A, 4, "bytes left after the last field"));
    assert_eq!(
        dec(Rtype::MX, b"\x00\x01\x01a\x00\x00"),
        bad(Rtype::MX, 5, "bytes left after the last field")
    );
    assert_eq!(dec(Rtype::TXT, b"\x05abc"), bad(Rtype::TXT, 0, "field runs past RDLENGTH"));
    assert_eq!(dec(Rtype::CAA, b"\x00\x00value"), bad(Rtype::CAA, 1, "empty CAA tag"));
    assert_eq!(
        dec(Rtype::SVCB, b"\x00\x01\x00\x00\x09\x00\x00\x00\x08\x00\x00"),
        bad(Rtype::SVCB, 7, "SvcParamKeys not in strictly increasing order")
    );
    assert_eq!(
        dec(Rtype::NSEC, b"\x00\x00\x02\x40\x00"),
        bad(Rtype::NSEC, 1, "bitmap with a trailing zero byte")
    );
    assert_eq!(dec(Rtype::NSEC, b"\x00\x00\x00"), bad(Rtype::NSEC, 1, "bitmap length not in 1..=32"));
    assert_eq!(
        dec(Rtype::NSEC, b"\x00\x01\x01\x40\x00\x01\x40"),
        bad(Rtype::NSEC, 4, "bitmap windows out of order")
    );
    assert_eq!(
        dec(Rtype::NSEC3, b"\x01\x00\x00\x00\x00\x00"),
        bad(Rtype::NSEC3, 5, "empty NSEC3 next hashed owner name")
    );
    // A name inside RDATA may not run past RDLENGTH, even if the message goes on.
    let msg = b"\x00\x01\x03abc\x00";
    assert_eq!(
        Rdata::decode(Rtype::MX, msg, &mut 0, 4),
        Err(WireError::BadRdata { rtype: Rtype::MX, offset: 2, reason: "field runs past RDLENGTH" })
    );
    assert_eq!(
        Rdata::decode(Rtype::A, &[1, 2], &mut 0, 4),
        Err(WireError::Truncated { what: "rdata", offset: 0 })
    );
    // A compression loop inside RDATA.
    assert_eq!(dec(Rtype::NS, b"\xc0\x00"), Err(WireError::BadPointer { offset: 0 }));
}

#[test]
fn validate_reports_unencodable_values() {
    assert!(Rdata::Txt(vec![vec![b'x'; 256]]).validate().is_err());
    assert!(Rdata::Caa { flags: 0, tag: Vec::new(), value: Vec::new() }.validate().is_err());
    assert!(Rdata::Unknown { rtype: Rtype(999), data: vec![0; 65536] }.validate().is_err());
    let unordered = SvcbRdata {
        priority: 1,
        target: Name::root(),
        params: vec![SvcParam { key: 3, value: vec![0, 1] }, SvcParam { key: 1, value: vec![1, b'a'] }],
    };
    assert!(Rdata::Svcb(unordered).validate().is_err());
}

#[test]
fn presentation_matches_dig_on_nsd_answers() {
    for (response, line) in super::dig_vectors::DIG_VECTORS {
        let bytes = hex(response);
        let m = crate::message::Message::decode(&bytes).unwrap();
        let r = &m.answers[0];
        let mine = alloc::format!("{} {} {} {} {}", r.name, r.ttl, r.class, r.rtype(), r.rdata);
        assert_eq!(&mine, line);
    }
}

// ---------------------------------------------------------------- properties

fn arb_name() -> impl Strategy<Value = Name> {
    proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..10), 0..5).prop_map(|labels| {
        let mut name = Name::root();
        for l in labels.iter().rev() {
            name = name.prepend(l).unwrap_or(name);
        }
        name
    })
}

fn bytes(max: usize) -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(any::<u8>(), 0..max)
}

fn cstring() -> impl Strategy<Value = Vec<u8>> {
    bytes(40)
}

fn arb_bitmap() -> impl Strategy<Value = TypeBitmap> {
    proptest::collection::vec(any::<u16>(), 0..12).prop_map(|t| TypeBitmap::new(t.into_iter().map(Rtype)))
}

fn arb_svc_param() -> impl Strategy<Value = SvcParam> {
    prop_oneof![
        (7u16..65535, bytes(20)).prop_map(|(key, value)| SvcParam { key, value }),
        proptest::collection::btree_set(1u16..20, 1..4).prop_map(|keys| SvcParam {
            key: 0,
            value: keys.into_iter().flat_map(u16::to_be_bytes).collect()
        }),
        proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..6), 1..4).prop_map(|ids| {
            SvcParam {
                key: 1,
                value: ids.into_iter().flat_map(|id| [vec![id.len() as u8], id].concat()).collect(),
            }
        }),
        Just(SvcParam { key: 2, value: Vec::new() }),
        any::<u16>().prop_map(|p| SvcParam { key: 3, value: p.to_be_bytes().to_vec() }),
        proptest::collection::vec(any::<[u8; 4]>(), 1..3)
            .prop_map(|a| SvcParam { key: 4, value: a.concat() }),
        bytes(20).prop_map(|value| SvcParam { key: 5, value }),
        proptest::collection::vec(any::<[u8; 16]>(), 1..3)
            .prop_map(|a| SvcParam { key: 6, value: a.concat() }),
    ]
}

fn arb_svcb() -> impl Strategy<Value = SvcbRdata> {
    (any::<u16>(), arb_name(), proptest::collection::vec(arb_svc_param(), 0..5)).prop_map(
        |(priority, target, mut params)| {
            params.sort_by_key(|p| p.key);
            params.dedup_by_key(|p| p.key);
            SvcbRdata { priority, target, params }
        },
    )
}

/// Any RDATA value this crate can hold that the wire format can carry.
pub(crate) fn arb_rdata() -> impl Strategy<Value = Rdata> {
    let ds = || {
        (any::<u16>(), any::<u8>(), any::<u8>(), bytes(40)).prop_map(
            |(key_tag, algorithm, digest_type, digest)| Ds { key_tag, algorithm, digest_type, digest },
        )
    };
    let key = || {
        (any::<u16>(), any::<u8>(), any::<u8>(), bytes(60)).prop_map(
            |(flags, protocol, algorithm, public_key)| Dnskey { flags, protocol, algorithm, public_key },
        )
    };
    prop_oneof![
        any::<[u8; 4]>().prop_map(|a| Rdata::A(Ipv4Addr::from(a))),
        any::<[u8; 16]>().prop_map(|a| Rdata::Aaaa(Ipv6Addr::from(a))),
        arb_name().prop_map(Rdata::Ns),
        arb_name().prop_map(Rdata::Cname),
        arb_name().prop_map(Rdata::Dname),
        arb_name().prop_map(Rdata::Ptr),
        (arb_name(), arb_name(), any::<[u32; 5]>()).prop_map(|(mname, rname, v)| Rdata::Soa(Soa {
            mname,
            rname,
            serial: v[0],
            refresh: v[1],
            retry: v[2],
            expire: v[3],
            minimum: v[4],
        })),
        (any::<u16>(), arb_name()).prop_map(|(preference, exchange)| Rdata::Mx { preference, exchange }),
        proptest::collection::vec(cstring(), 0..4).prop_map(Rdata::Txt),
        proptest::collection::vec(cstring(), 0..4).prop_map(Rdata::Spf),
        (any::<[u16; 3]>(), arb_name()).prop_map(|(v, target)| Rdata::Srv {
            priority: v[0],
            weight: v[1],
            port: v[2],
            target
        }),
        (any::<[u16; 2]>(), cstring(), cstring(), cstring(), arb_name()).prop_map(|(v, f, s, r, replacement)| {
            Rdata::Naptr(Naptr { order: v[0], preference: v[1], flags: f, services: s, regexp: r, replacement })
        }),
        (any::<u8>(), proptest::collection::vec(any::<u8>(), 1..16), bytes(40))
            .prop_map(|(flags, tag, value)| Rdata::Caa { flags, tag, value }),
        (any::<u8>(), any::<u8>(), bytes(40))
            .prop_map(|(algorithm, fp_type, fingerprint)| Rdata::Sshfp { algorithm, fp_type, fingerprint }),
        (any::<[u8; 3]>(), bytes(40)).prop_map(|(v, data)| Rdata::Tlsa {
            usage: v[0],
            selector: v[1],
            matching_type: v[2],
            data
        }),
        arb_svcb().prop_map(Rdata::Svcb),
        arb_svcb().prop_map(Rdata::Https),
        (any::<[u8; 3]>(), any::<[u32; 3]>()).prop_map(|(p, v)| Rdata::Loc(Loc {
            version: 0,
            size: p[0],
            horiz_pre: p[1],
            vert_pre: p[2],
            latitude: v[0],
            longitude: v[1],
            altitude: v[2],
        })),
        (cstring(), cstring()).prop_map(|(cpu, os)| Rdata::Hinfo { cpu, os }),
        (arb_name(), arb_name()).prop_map(|(mbox, txt)| Rdata::Rp { mbox, txt }),
        ds().prop_map(Rdata::Ds),
        ds().prop_map(Rdata::Cds),
        key().prop_map(Rdata::Dnskey),
        key().prop_map(Rdata::Cdnskey),
        (any::<u16>(), any::<[u8; 2]>(), any::<[u32; 3]>(), any::<u16>(), arb_name(), bytes(60)).prop_map(
            |(t, a, v, key_tag, signer, signature)| Rdata::Rrsig(Rrsig {
                type_covered: Rtype(t),
                algorithm: a[0],
                labels: a[1],
                original_ttl: v[0],
                expiration: v[1],
                inception: v[2],
                key_tag,
                signer,
                signature,
            })
        ),
        (arb_name(), arb_bitmap()).prop_map(|(next, types)| Rdata::Nsec { next, types }),
        (any::<[u8; 2]>(), any::<u16>(), bytes(20), proptest::collection::vec(any::<u8>(), 1..32), arb_bitmap())
            .prop_map(|(a, iterations, salt, next_hashed, types)| Rdata::Nsec3(Nsec3 {
                hash_algorithm: a[0],
                flags: a[1],
                iterations,
                salt,
                next_hashed,
                types,
            })),
        (any::<[u8; 2]>(), any::<u16>(), bytes(20)).prop_map(|(a, iterations, salt)| Rdata::Nsec3param(
            Nsec3param { hash_algorithm: a[0], flags: a[1], iterations, salt }
        )),
        (any::<u16>(), bytes(40))
            .prop_filter("modelled types decode to their own variant", |(t, _)| {
                matches!(Rdata::decode(Rtype(*t), &[], &mut 0, 0), Ok(Rdata::Unknown { .. }) | Err(_))
                    && !matches!(*t, 1 | 2 | 5 | 6 | 12 | 13 | 15..=17 | 28 | 29 | 33 | 35 | 39 | 43 | 44 | 46..=48 | 50..=52 | 59 | 60 | 64 | 65 | 99 | 257)
            })
            .prop_map(|(t, data)| Rdata::Unknown { rtype: Rtype(t), data }),
    ]
}

proptest! {
    #[test]
    fn rdata_wire_round_trip(rdata in arb_rdata()) {
        prop_assert_eq!(rdata.validate(), Ok(()));
        round_trip(&rdata);
        // Display never panics and is non-empty.
        let text: String = rdata.to_string();
        prop_assert!(!text.is_empty());
    }

    #[test]
    fn rdata_decode_never_panics(t in any::<u16>(), data in bytes(80)) {
        let mut pos = 0;
        if let Ok(r) = Rdata::decode(Rtype(t), &data, &mut pos, data.len() as u16) {
            prop_assert_eq!(pos, data.len());
            let _ = r.to_string();
            // Decoded values re-encode (uncompressed) and decode to the same value.
            let again = r.to_wire();
            let back = Rdata::decode(Rtype(t), &again, &mut 0, again.len() as u16).unwrap();
            prop_assert_eq!(back, r);
        }
    }

    #[test]
    fn svc_params_presentation_round_trip(s in arb_svcb()) {
        for p in &s.params {
            let text = p.to_string();
            let (k, v) = match text.split_once('=') {
                Some((k, v)) => (k, Some(v.strip_prefix('"').and_then(|v| v.strip_suffix('"')).unwrap_or(v))),
                None => (text.as_str(), None),
            };
            let back = SvcParam::from_presentation(k, v).unwrap_or_else(|e| panic!("{text}: {e}"));
            prop_assert_eq!(&back, p, "{}", text);
        }
    }

    #[test]
    fn loc_presentation_round_trip(lat in 0u32..=648_000_000, lon in 0u32..=1_296_000_000, alt in any::<u32>(),
                                   p in proptest::array::uniform3((0u8..=9, 0u8..=9))) {
        let l = Loc {
            version: 0,
            size: (p[0].0 << 4) | p[0].1,
            horiz_pre: (p[1].0 << 4) | p[1].1,
            vert_pre: (p[2].0 << 4) | p[2].1,
            latitude: (1u32 << 31) - 324_000_000 + lat,
            longitude: (1u32 << 31) - 648_000_000 + lon,
            altitude: alt,
        };
        let text = Rdata::Loc(l).to_string();
        let back = Loc::from_presentation(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
        // Mantissa 0 loses its exponent; compare the sizes in cm.
        let cm = |b: u8| u64::from(b >> 4) * 10u64.pow(u32::from(b & 15));
        prop_assert_eq!((back.latitude, back.longitude, back.altitude), (l.latitude, l.longitude, l.altitude));
        prop_assert_eq!(cm(back.size), cm(l.size));
        prop_assert_eq!(cm(back.horiz_pre), cm(l.horiz_pre));
        prop_assert_eq!(cm(back.vert_pre), cm(l.vert_pre));
    }
}
