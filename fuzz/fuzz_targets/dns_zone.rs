//! The zone-file parser and checker on any bytes: no panic, and whatever
//! parses prints in presentation format and parses back to equal records.

#![no_main]

use dns::name::Name;
use dns::zone::{check_zone_records, no_includes, parse_zone_records};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let origin = Name::from_ascii("example.").expect("valid origin");
    let Ok(records) = parse_zone_records(data, &origin, "fuzz", &mut no_includes) else {
        return;
    };
    let _ = check_zone_records(&records, &origin);
    let mut text = String::new();
    for r in &records {
        let r = &r.record;
        text.push_str(&format!("{} {} {} {} {}\n", r.name, r.ttl, r.class, r.rtype(), r.rdata));
    }
    let again = parse_zone_records(text.as_bytes(), &origin, "fuzz-printed", &mut no_includes)
        .expect("printed records parse again");
    assert_eq!(again.len(), records.len());
    for (a, b) in again.iter().zip(&records) {
        assert_eq!(a.record, b.record, "print → parse changed a record");
    }
});
