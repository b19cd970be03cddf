//! An independent oracle: Wireshark's `openflow_v4` dissector reads what our
//! encoder writes.
//!
//! A broad set of messages (every message type, multipart requests and
//! replies of every kind, flow mods with many OXM fields and actions, group
//! and meter mods, packet in/out, errors, role, async config) is built with
//! the crate's builders, encoded, and written as TCP payload (one message per
//! segment, plus one segment with two messages) into a pcap: Ethernet, IPv4,
//! TCP between 10.0.0.2:50000 (switch) and 10.0.0.1:6653 (controller), with
//! correct IP and TCP checksums. `tshark -V` then dissects it with checksum
//! validation on; no frame may be malformed or carry an error-level expert
//! note, and each frame must show the message type (and multipart type) we
//! meant. Skipped, with a message, when `tshark` is not installed.

use std::net::{Ipv4Addr, Ipv6Addr};
use std::process::Command;

use openflow::action::{Action, OFPCML_NO_BUFFER, OFPP_CONTROLLER, OFPP_FLOOD, OFPP_IN_PORT};
use openflow::instruction::{Instruction, InstructionId};
use openflow::message::{
    AsyncConfig, Body, ErrorMsg, FlowMod, FlowRemoved, GroupMod, Hello, Message, MeterMod, OFP_NO_BUFFER,
    OFPC_FLOW_STATS, OFPC_PORT_STATS, OFPCR_ROLE_MASTER, OFPCR_ROLE_SLAVE, OFPET_BAD_MATCH,
    OFPET_FLOW_MOD_FAILED, OFPFF_SEND_FLOW_REM, OFPFMFC_TABLE_FULL, OFPGT_ALL, OFPGT_FF, OFPGT_SELECT,
    OFPMF_BURST, OFPMF_KBPS, OFPMF_STATS, OFPPR_MODIFY, OFPR_ACTION, OFPR_NO_MATCH, OFPRR_IDLE_TIMEOUT,
    PacketIn, PacketOut, PortMod, PortStatus, QueueGetConfigReply, QueueGetConfigRequest, Role, SwitchConfig,
    SwitchFeatures, TableMod,
};
use openflow::multipart::{
    AggregateStats, BucketCounter, Desc, FixedStr, FlowStats, FlowStatsRequest, GroupDesc, GroupFeatures,
    GroupStats, MeterBandStats, MeterConfig, MeterFeatures, MeterStats, MultipartReply, MultipartReplyBody,
    MultipartRequest, OFPG_ALL, OFPM_ALL, OFPP_ANY, OFPQ_ALL, OFPTT_ALL, PortStats, QueueStats,
    TableFeatureProp, TableFeatures, TableStats,
};
use openflow::oxm::{Match, OFPVID_PRESENT, OxmId};
use openflow::structs::{Bucket, MeterBand, PacketQueue, Port, QueueProp};
use openflow::wire::Encode;

const HOST_A: [u8; 6] = [0x0a, 0, 0, 0, 0, 0x01];
const HOST_B: [u8; 6] = [0x0a, 0, 0, 0, 0, 0x02];

/// Marks a case where tshark's own dissector is known to overrun a correct
/// message (it then reports it malformed after dissecting every field).
const DISSECTOR_BUG: &str = "Experimenter multipart reply body.";

/// One message to send, and what tshark must show for it.
struct Case {
    msg: Message,
    /// Sent by the switch (else by the controller).
    from_switch: bool,
    /// The `OFPT_*` name tshark prints.
    ofpt: &'static str,
    /// More text that must appear in the frame (e.g. the multipart type).
    also: &'static [&'static str],
}

fn case(from_switch: bool, ofpt: &'static str, also: &'static [&'static str], msg: Message) -> Case {
    Case { msg, from_switch, ofpt, also }
}

/// An ARP request from HOST_A, as a switch would send it up.
fn arp_frame() -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&HOST_A);
    f.extend_from_slice(&[0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1]);
    f.extend_from_slice(&HOST_A);
    f.extend_from_slice(&[10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2]);
    f
}

fn rich_match() -> Match {
    Match::new()
        .in_port(1)
        .eth_dst(HOST_B)
        .eth_src_masked(HOST_A, [0xff, 0xff, 0xff, 0, 0, 0])
        .eth_type(0x0800)
        .vlan_vid(OFPVID_PRESENT | 100)
        .vlan_pcp(3)
        .ip_dscp(46)
        .ip_ecn(1)
        .ip_proto(6)
        .ipv4_src_masked(Ipv4Addr::new(10, 0, 0, 0), Ipv4Addr::new(255, 255, 255, 0))
        .ipv4_dst(Ipv4Addr::new(10, 0, 0, 2))
        .tcp_src(12345)
        .tcp_dst(80)
        .metadata_masked(0x1234, 0xffff)
        .tunnel_id(42)
}

fn ipv6_match() -> Match {
    Match::new()
        .eth_type(0x86dd)
        .ipv6_src_masked("2001:db8::".parse::<Ipv6Addr>().unwrap(), "ffff:ffff::".parse().unwrap())
        .ipv6_dst("2001:db8::2".parse().unwrap())
        .ipv6_flabel(0x12345)
        .ip_proto(58)
        .icmpv6_type(135)
        .icmpv6_code(0)
        .ipv6_nd_target("2001:db8::2".parse().unwrap())
        .ipv6_nd_sll(HOST_A)
}

fn many_actions() -> Vec<Action> {
    vec![
        Action::PushVlan(0x8100),
        Action::set_field(openflow::oxm::BasicField::VlanVid(OFPVID_PRESENT | 200, None)),
        Action::PopVlan,
        Action::PushMpls(0x8847),
        Action::set_field(openflow::oxm::BasicField::MplsLabel(1000)),
        Action::SetMplsTtl(64),
        Action::DecMplsTtl,
        Action::PopMpls(0x0800),
        Action::CopyTtlOut,
        Action::CopyTtlIn,
        Action::SetNwTtl(32),
        Action::DecNwTtl,
        Action::set_field(openflow::oxm::BasicField::Ipv4Dst(Ipv4Addr::new(192, 168, 0, 1), None)),
        Action::set_field(openflow::oxm::BasicField::EthDst(HOST_B, None)),
        Action::SetQueue(3),
        Action::Group(7),
        Action::Output { port: 2, max_len: 0 },
        Action::Output { port: OFPP_CONTROLLER, max_len: OFPCML_NO_BUFFER },
    ]
}

fn port(no: u32, name: &str) -> Port {
    let mut p = Port::new(no, [0x02, 0, 0, 0, 0x10, no as u8], name);
    p.curr = 0x2820; // 1GB_FD | COPPER | AUTONEG
    p.advertised = 0x2820;
    p.supported = 0x2820;
    p.curr_speed = 1_000_000;
    p.max_speed = 1_000_000;
    p
}

fn table_features() -> Vec<TableFeatures> {
    vec![TableFeatures {
        table_id: 0,
        name: FixedStr::new("classifier").unwrap(),
        metadata_match: u64::MAX,
        metadata_write: u64::MAX,
        config: 0,
        max_entries: 1_000_000,
        properties: vec![
            TableFeatureProp::Instructions(vec![
                InstructionId::new(1),
                InstructionId::new(3),
                InstructionId::new(4),
                InstructionId::new(5),
            ]),
            TableFeatureProp::NextTables(vec![1, 2, 3]),
            TableFeatureProp::WriteActions(vec![openflow::action::ActionId::new(0)]),
            TableFeatureProp::ApplyActions(vec![
                openflow::action::ActionId::new(0),
                openflow::action::ActionId::new(17),
                openflow::action::ActionId::new(25),
            ]),
            TableFeatureProp::Match(vec![
                OxmId::basic(0, false),
                OxmId::basic(3, true),
                OxmId::basic(5, false),
            ]),
            TableFeatureProp::Wildcards(vec![OxmId::basic(3, false)]),
            TableFeatureProp::ApplySetfield(vec![OxmId::basic(3, false), OxmId::basic(4, false)]),
        ],
    }]
}

fn cases() -> Vec<Case> {
    let req = |body| Message::new(0x100, MultipartRequest::new(body));
    let reply = |body| Message::new(0x100, MultipartReply { flags: 0, body });
    use MultipartReplyBody as Rp;
    use openflow::multipart::MultipartRequestBody as Rq;
    vec![
        case(false, "OFPT_HELLO", &[], Message::new(1, Hello::openflow13())),
        case(true, "OFPT_HELLO", &[], Message::new(1, Hello::new(&[1, 4]))),
        case(
            true,
            "OFPT_ERROR",
            &["OFPET_FLOW_MOD_FAILED"],
            Message::new(
                2,
                ErrorMsg::for_request(
                    OFPET_FLOW_MOD_FAILED,
                    OFPFMFC_TABLE_FULL,
                    &Message::new(9, FlowMod::add(0).matching(Match::new().in_port(1))).to_vec(),
                ),
            ),
        ),
        case(
            true,
            "OFPT_ERROR",
            &["OFPET_BAD_MATCH"],
            // The data: a whole (short) request, as tshark dissects it as a message.
            Message::new(
                3,
                ErrorMsg::Standard {
                    err_type: OFPET_BAD_MATCH,
                    code: 9,
                    data: vec![4, 20, 0, 8, 0, 0, 0, 9],
                },
            ),
        ),
        case(
            false,
            "OFPT_ECHO_REQUEST",
            &[],
            Message { version: 4, xid: 4, body: Body::EchoRequest(b"ping".to_vec()) },
        ),
        case(
            true,
            "OFPT_ECHO_REPLY",
            &[],
            Message { version: 4, xid: 4, body: Body::EchoReply(b"ping".to_vec()) },
        ),
        case(
            false,
            "OFPT_EXPERIMENTER",
            &[],
            Message {
                version: 4,
                xid: 5,
                body: Body::Experimenter { experimenter: 0x00d0_f0f0, exp_type: 7, data: vec![1, 2, 3, 4] },
            },
        ),
        case(
            false,
            "OFPT_FEATURES_REQUEST",
            &[],
            Message { version: 4, xid: 6, body: Body::FeaturesRequest },
        ),
        case(
            true,
            "OFPT_FEATURES_REPLY",
            &[],
            Message::new(
                6,
                SwitchFeatures {
                    datapath_id: 0x0000_0200_0000_0002,
                    n_buffers: 256,
                    n_tables: 254,
                    auxiliary_id: 0,
                    capabilities: OFPC_FLOW_STATS | OFPC_PORT_STATS,
                    reserved: 0,
                },
            ),
        ),
        case(
            false,
            "OFPT_GET_CONFIG_REQUEST",
            &[],
            Message { version: 4, xid: 7, body: Body::GetConfigRequest },
        ),
        case(
            true,
            "OFPT_GET_CONFIG_REPLY",
            &[],
            Message { version: 4, xid: 7, body: Body::GetConfigReply(SwitchConfig::default()) },
        ),
        case(
            false,
            "OFPT_SET_CONFIG",
            &[],
            Message {
                version: 4,
                xid: 8,
                body: Body::SetConfig(SwitchConfig { flags: 0, miss_send_len: 0xffff }),
            },
        ),
        case(
            true,
            "OFPT_PACKET_IN",
            &["OFPR_NO_MATCH"],
            Message::new(
                0,
                PacketIn {
                    buffer_id: OFP_NO_BUFFER,
                    total_len: 42,
                    reason: OFPR_NO_MATCH,
                    table_id: 0,
                    cookie: 0,
                    match_: Match::new().in_port(3),
                    data: arp_frame(),
                },
            ),
        ),
        case(
            true,
            "OFPT_PACKET_IN",
            &["OFPR_ACTION"],
            Message::new(
                0,
                PacketIn {
                    buffer_id: 0x1234,
                    total_len: 42,
                    reason: OFPR_ACTION,
                    table_id: 3,
                    cookie: 0xfeed,
                    match_: rich_match(),
                    data: arp_frame(),
                },
            ),
        ),
        case(
            true,
            "OFPT_FLOW_REMOVED",
            &[],
            Message::new(
                0,
                FlowRemoved {
                    cookie: 1,
                    priority: 10,
                    reason: OFPRR_IDLE_TIMEOUT,
                    table_id: 0,
                    duration_sec: 60,
                    duration_nsec: 500,
                    idle_timeout: 10,
                    hard_timeout: 0,
                    packet_count: 5,
                    byte_count: 320,
                    match_: Match::new().in_port(1).eth_dst(HOST_B),
                },
            ),
        ),
        case(
            true,
            "OFPT_PORT_STATUS",
            &[],
            Message::new(0, PortStatus { reason: OFPPR_MODIFY, desc: port(1, "eth1") }),
        ),
        case(
            false,
            "OFPT_PACKET_OUT",
            &[],
            Message::new(
                10,
                PacketOut::new(OFPP_CONTROLLER).action(Action::output(OFPP_FLOOD)).data(arp_frame()),
            ),
        ),
        case(
            false,
            "OFPT_PACKET_OUT",
            &[],
            Message::new(11, PacketOut::new(1).buffer(0x1234).actions(vec![Action::output(OFPP_IN_PORT)])),
        ),
        case(
            false,
            "OFPT_FLOW_MOD",
            &["OFPFC_ADD"],
            Message::new(
                12,
                FlowMod::add(0)
                    .priority(10)
                    .idle_timeout(60)
                    .matching(Match::new().in_port(1).eth_dst(HOST_B))
                    .apply_actions(vec![Action::Output { port: 2, max_len: OFPCML_NO_BUFFER }]),
            ),
        ),
        case(
            false,
            "OFPT_FLOW_MOD",
            &["OFPFC_ADD"],
            Message::new(
                13,
                FlowMod::add(1)
                    .priority(1000)
                    .cookie(0xc0ffee)
                    .hard_timeout(300)
                    .send_flow_removed()
                    .matching(rich_match())
                    .meter(1)
                    .apply_actions(many_actions())
                    .clear_actions()
                    .write_actions(vec![Action::Output { port: 3, max_len: 0 }])
                    .write_metadata(0x10, 0xff)
                    .goto_table(2),
            ),
        ),
        case(
            false,
            "OFPT_FLOW_MOD",
            &["OFPFC_ADD"],
            Message::new(14, FlowMod::add(2).matching(ipv6_match()).apply_actions(vec![Action::output(4)])),
        ),
        case(
            false,
            "OFPT_FLOW_MOD",
            &["OFPFC_DELETE"],
            Message::new(15, FlowMod::delete(OFPTT_ALL).flags(OFPFF_SEND_FLOW_REM)),
        ),
        case(
            false,
            "OFPT_GROUP_MOD",
            &["OFPGC_ADD", "OFPGT_SELECT"],
            Message::new(
                16,
                GroupMod::add(1, OFPGT_SELECT)
                    .bucket(Bucket::select(50, vec![Action::output(1)]))
                    .bucket(Bucket::select(50, vec![Action::output(2)])),
            ),
        ),
        case(
            false,
            "OFPT_GROUP_MOD",
            &["OFPGC_ADD", "OFPGT_FF"],
            Message::new(
                17,
                GroupMod::add(2, OFPGT_FF)
                    .bucket(Bucket::fast_failover(1, vec![Action::output(1)]))
                    .bucket(Bucket::fast_failover(2, vec![Action::output(2)])),
            ),
        ),
        case(false, "OFPT_GROUP_MOD", &["OFPGC_DELETE"], Message::new(18, GroupMod::delete(OFPG_ALL))),
        case(
            false,
            "OFPT_PORT_MOD",
            &[],
            Message::new(19, PortMod::new(1, [0x02, 0, 0, 0, 0x10, 1]).config(1, 1).advertise(0x20)),
        ),
        case(false, "OFPT_TABLE_MOD", &[], Message::new(20, TableMod { table_id: 0, config: 0 })),
        // Multipart requests.
        case(false, "OFPT_MULTIPART_REQUEST", &["OFPMP_DESC"], req(Rq::Desc)),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_FLOW"],
            Message::new(
                0x101,
                MultipartRequest::flow_stats(
                    FlowStatsRequest::new().table_id(0).matching(Match::new().in_port(1)),
                ),
            ),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_AGGREGATE"],
            Message::new(0x102, MultipartRequest::aggregate_stats(FlowStatsRequest::new())),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_TABLE"],
            Message::new(0x103, MultipartRequest::table_stats()),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_PORT_STATS"],
            Message::new(0x104, MultipartRequest::port_stats(OFPP_ANY)),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_QUEUE"],
            Message::new(0x105, MultipartRequest::queue_stats(OFPP_ANY, OFPQ_ALL)),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_GROUP"],
            Message::new(0x106, MultipartRequest::group_stats(OFPG_ALL)),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_GROUP_DESC"],
            Message::new(0x107, MultipartRequest::group_desc()),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_GROUP_FEATURES"],
            Message::new(0x108, MultipartRequest::group_features()),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_METER"],
            Message::new(0x109, MultipartRequest::meter_stats(OFPM_ALL)),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_METER_CONFIG"],
            Message::new(0x10a, MultipartRequest::meter_config(OFPM_ALL)),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_METER_FEATURES"],
            Message::new(0x10b, MultipartRequest::meter_features()),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_TABLE_FEATURES"],
            Message::new(0x10c, MultipartRequest::table_features(vec![])),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_TABLE_FEATURES"],
            Message::new(0x10d, MultipartRequest::table_features(table_features())),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_PORT_DESC"],
            Message::new(0x10e, MultipartRequest::port_desc()),
        ),
        case(
            false,
            "OFPT_MULTIPART_REQUEST",
            &["OFPMP_EXPERIMENTER"],
            Message::new(0x10f, MultipartRequest::experimenter(0x00d0_f0f0, 1, vec![0; 8])),
        ),
        // Multipart replies.
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_DESC"],
            reply(Rp::Desc(Box::new(Desc {
                mfr_desc: FixedStr::new("Example Inc.").unwrap(),
                hw_desc: FixedStr::new("appliance").unwrap(),
                sw_desc: FixedStr::new("0.1.0").unwrap(),
                serial_num: FixedStr::new("42").unwrap(),
                dp_desc: FixedStr::new("test switch").unwrap(),
            }))),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_FLOW"],
            reply(Rp::Flow(vec![
                FlowStats {
                    table_id: 0,
                    duration_sec: 10,
                    duration_nsec: 1,
                    priority: 10,
                    idle_timeout: 60,
                    hard_timeout: 0,
                    flags: 0,
                    cookie: 1,
                    packet_count: 100,
                    byte_count: 6400,
                    matching: Match::new().in_port(1).eth_dst(HOST_B),
                    instructions: vec![Instruction::ApplyActions(vec![Action::output(2)])],
                },
                FlowStats {
                    table_id: 0,
                    duration_sec: 20,
                    duration_nsec: 2,
                    priority: 0,
                    idle_timeout: 0,
                    hard_timeout: 0,
                    flags: 0,
                    cookie: 0,
                    packet_count: 3,
                    byte_count: 180,
                    matching: Match::new(),
                    instructions: vec![Instruction::ApplyActions(vec![Action::to_controller(
                        OFPCML_NO_BUFFER,
                    )])],
                },
            ])),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_AGGREGATE"],
            reply(Rp::Aggregate(AggregateStats { packet_count: 103, byte_count: 6580, flow_count: 2 })),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_TABLE"],
            reply(Rp::Table(vec![
                TableStats { table_id: 0, active_count: 2, lookup_count: 200, matched_count: 190 },
                TableStats { table_id: 1, active_count: 0, lookup_count: 0, matched_count: 0 },
            ])),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_PORT_STATS"],
            reply(Rp::PortStats(vec![PortStats {
                port_no: 1,
                rx_packets: 10,
                tx_packets: 20,
                rx_bytes: 640,
                tx_bytes: 1280,
                duration_sec: 5,
                ..PortStats::default()
            }])),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_QUEUE"],
            reply(Rp::Queue(vec![QueueStats {
                port_no: 1,
                queue_id: 1,
                tx_bytes: 100,
                tx_packets: 2,
                tx_errors: 0,
                duration_sec: 3,
                duration_nsec: 0,
            }])),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_GROUP"],
            reply(Rp::Group(vec![GroupStats {
                group_id: 1,
                ref_count: 1,
                packet_count: 10,
                byte_count: 640,
                duration_sec: 9,
                duration_nsec: 0,
                bucket_stats: vec![
                    BucketCounter { packet_count: 5, byte_count: 320 },
                    BucketCounter { packet_count: 5, byte_count: 320 },
                ],
            }])),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_GROUP_DESC"],
            reply(Rp::GroupDesc(vec![GroupDesc {
                group_type: OFPGT_ALL,
                group_id: 3,
                buckets: vec![Bucket::new(vec![Action::output(1)]), Bucket::new(vec![Action::output(2)])],
            }])),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_GROUP_FEATURES"],
            reply(Rp::GroupFeatures(GroupFeatures {
                types: 0b1111,
                capabilities: 0b0101,
                max_groups: [16, 16, 16, 16],
                actions: [1, 1, 1, 1],
            })),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_METER"],
            reply(Rp::Meter(vec![MeterStats {
                meter_id: 1,
                flow_count: 1,
                packet_in_count: 10,
                byte_in_count: 640,
                duration_sec: 4,
                duration_nsec: 0,
                band_stats: vec![MeterBandStats { packet_band_count: 1, byte_band_count: 64 }],
            }])),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_METER_CONFIG"],
            reply(Rp::MeterConfig(vec![MeterConfig {
                flags: OFPMF_KBPS | OFPMF_BURST,
                meter_id: 1,
                bands: vec![MeterBand::drop(1000, 100)],
            }])),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_METER_FEATURES"],
            reply(Rp::MeterFeatures(MeterFeatures {
                max_meter: 64,
                band_types: 0b110,
                capabilities: 0b1111,
                max_bands: 2,
                max_color: 0,
            })),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_TABLE_FEATURES"],
            reply(Rp::TableFeatures(table_features())),
        ),
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_PORT_DESC"],
            reply(Rp::PortDesc(vec![port(1, "eth1"), port(2, "eth2"), port(0xffff_fffe, "br0")])),
        ),
        // Wireshark's dissector (up to at least 4.0) takes the experimenter
        // reply body as `length - 16` bytes from offset 24, 8 more than there
        // are, and flags every such reply malformed: see `DISSECTOR_BUG`.
        case(
            true,
            "OFPT_MULTIPART_REPLY",
            &["OFPMP_EXPERIMENTER", "Experimenter: 0x00d0f0f0", "Experimenter type: 1", DISSECTOR_BUG],
            reply(Rp::Experimenter(openflow::multipart::ExperimenterMultipart {
                experimenter: 0x00d0_f0f0,
                exp_type: 1,
                data: vec![9; 8],
            })),
        ),
        case(false, "OFPT_BARRIER_REQUEST", &[], Message { version: 4, xid: 30, body: Body::BarrierRequest }),
        case(true, "OFPT_BARRIER_REPLY", &[], Message { version: 4, xid: 30, body: Body::BarrierReply }),
        case(
            false,
            "OFPT_QUEUE_GET_CONFIG_REQUEST",
            &[],
            Message::new(31, QueueGetConfigRequest { port: 1 }),
        ),
        case(
            true,
            "OFPT_QUEUE_GET_CONFIG_REPLY",
            &[],
            Message::new(
                31,
                QueueGetConfigReply {
                    port: 1,
                    queues: vec![PacketQueue {
                        queue_id: 1,
                        port: 1,
                        properties: vec![QueueProp::MinRate(100), QueueProp::MaxRate(500)],
                    }],
                },
            ),
        ),
        case(
            false,
            "OFPT_ROLE_REQUEST",
            &["OFPCR_ROLE_MASTER"],
            Message {
                version: 4,
                xid: 32,
                body: Body::RoleRequest(Role { role: OFPCR_ROLE_MASTER, generation_id: 1 }),
            },
        ),
        case(
            true,
            "OFPT_ROLE_REPLY",
            &["OFPCR_ROLE_SLAVE"],
            Message {
                version: 4,
                xid: 32,
                body: Body::RoleReply(Role { role: OFPCR_ROLE_SLAVE, generation_id: 1 }),
            },
        ),
        case(
            false,
            "OFPT_GET_ASYNC_REQUEST",
            &[],
            Message { version: 4, xid: 33, body: Body::GetAsyncRequest },
        ),
        case(
            true,
            "OFPT_GET_ASYNC_REPLY",
            &[],
            Message {
                version: 4,
                xid: 33,
                body: Body::GetAsyncReply(AsyncConfig {
                    packet_in_mask: [0b011, 0b001],
                    port_status_mask: [0b111, 0b111],
                    flow_removed_mask: [0b1111, 0],
                }),
            },
        ),
        case(
            false,
            "OFPT_SET_ASYNC",
            &[],
            Message {
                version: 4,
                xid: 34,
                body: Body::SetAsync(AsyncConfig {
                    packet_in_mask: [0b111, 0],
                    port_status_mask: [0b111, 0b111],
                    flow_removed_mask: [0b1111, 0b0011],
                }),
            },
        ),
        case(
            false,
            "OFPT_METER_MOD",
            &["OFPMC_ADD"],
            Message::new(
                35,
                MeterMod::add(1)
                    .flags(OFPMF_KBPS | OFPMF_BURST | OFPMF_STATS)
                    .band(MeterBand::drop(10_000, 1000))
                    .band(MeterBand::dscp_remark(5000, 500, 1)),
            ),
        ),
    ]
}

// ---------------------------------------------------------------------------
// A minimal pcap writer: Ethernet / IPv4 / TCP with correct checksums.

fn checksum(chunks: &[&[u8]]) -> u16 {
    let mut sum = 0u32;
    let mut odd: Option<u8> = None;
    for chunk in chunks {
        for &b in *chunk {
            match odd.take() {
                Some(hi) => sum += u32::from(u16::from_be_bytes([hi, b])),
                None => odd = Some(b),
            }
        }
    }
    if let Some(hi) = odd {
        sum += u32::from(u16::from_be_bytes([hi, 0]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

struct Endpoint {
    mac: [u8; 6],
    ip: [u8; 4],
    port: u16,
    seq: u32,
}

fn tcp_frame(src: &Endpoint, dst: &Endpoint, ack: u32, payload: &[u8]) -> Vec<u8> {
    let mut tcp = Vec::with_capacity(20 + payload.len());
    tcp.extend_from_slice(&src.port.to_be_bytes());
    tcp.extend_from_slice(&dst.port.to_be_bytes());
    tcp.extend_from_slice(&src.seq.to_be_bytes());
    tcp.extend_from_slice(&ack.to_be_bytes());
    tcp.extend_from_slice(&[0x50, 0x18, 0xff, 0xff, 0, 0, 0, 0]); // data offset 5, PSH|ACK, window, csum, urg
    tcp.extend_from_slice(payload);
    let len = (tcp.len() as u16).to_be_bytes();
    let pseudo = [&src.ip[..], &dst.ip[..], &[0, 6], &len[..]].concat();
    let c = checksum(&[&pseudo, &tcp]);
    tcp[16..18].copy_from_slice(&c.to_be_bytes());

    let total = (20 + tcp.len()) as u16;
    let mut ip = vec![0x45, 0, 0, 0, 0, 1, 0x40, 0, 64, 6, 0, 0];
    ip[2..4].copy_from_slice(&total.to_be_bytes());
    ip.extend_from_slice(&src.ip);
    ip.extend_from_slice(&dst.ip);
    let c = checksum(&[&ip]);
    ip[10..12].copy_from_slice(&c.to_be_bytes());

    let mut frame = Vec::with_capacity(14 + ip.len() + tcp.len());
    frame.extend_from_slice(&dst.mac);
    frame.extend_from_slice(&src.mac);
    frame.extend_from_slice(&[0x08, 0x00]);
    frame.extend_from_slice(&ip);
    frame.extend_from_slice(&tcp);
    frame
}

fn pcap(frames: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&0xa1b2_c3d4u32.to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&4u16.to_le_bytes());
    out.extend_from_slice(&[0; 8]); // thiszone, sigfigs
    out.extend_from_slice(&65535u32.to_le_bytes());
    out.extend_from_slice(&1u32.to_le_bytes()); // LINKTYPE_ETHERNET
    for (i, f) in frames.iter().enumerate() {
        out.extend_from_slice(&(i as u32).to_le_bytes());
        out.extend_from_slice(&0u32.to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(&(f.len() as u32).to_le_bytes());
        out.extend_from_slice(f);
    }
    out
}

#[test]
fn ip_checksum_of_a_known_header() {
    // The classic example header (checksum field zeroed): sum is 0xb861.
    let h = [
        0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00, 0x40, 0x11, 0, 0, 0xc0, 0xa8, 0x00, 0x01, 0xc0, 0xa8,
        0x00, 0xc7,
    ];
    assert_eq!(checksum(&[&h]), 0xb861);
}

fn tshark_installed() -> bool {
    if Command::new("tshark").arg("--version").output().is_ok() {
        return true;
    }
    eprintln!("SKIPPED: tshark not installed (bash scripts/test.sh installs it)");
    false
}

/// Writes `frames` to a pcap named `name` and returns `tshark -V`'s text
/// of it (decoding port 6653 as OpenFlow, checksums validated) and the file.
fn dissect(name: &str, frames: &[Vec<u8>]) -> (String, std::path::PathBuf) {
    let file = std::env::temp_dir().join(format!("openflow-tshark-{name}-{}.pcap", std::process::id()));
    std::fs::write(&file, pcap(frames)).unwrap();
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(&file)
        .args([
            "-d",
            "tcp.port==6653,openflow",
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-V",
        ])
        .output()
        .expect("run tshark");
    assert!(out.status.success(), "tshark failed: {}", String::from_utf8_lossy(&out.stderr));
    (String::from_utf8_lossy(&out.stdout).into_owned(), file)
}

/// The `tshark -V` text of each frame, in order.
fn frames_text(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        if line.starts_with("Frame ") && line.contains(" bytes on wire") {
            out.push(String::new());
        }
        if let Some(cur) = out.last_mut() {
            cur.push_str(line);
            cur.push('\n');
        }
    }
    out
}

#[test]
fn tshark_dissects_every_message_we_encode() {
    if !tshark_installed() {
        return;
    }
    let cases = cases();
    let mut switch = Endpoint { mac: [0x02, 0, 0, 0, 0, 2], ip: [10, 0, 0, 2], port: 50000, seq: 1000 };
    let mut controller = Endpoint { mac: [0x02, 0, 0, 0, 0, 1], ip: [10, 0, 0, 1], port: 6653, seq: 5000 };
    let mut frames = Vec::new();
    let mut send = |from_switch: bool, payload: &[u8], frames: &mut Vec<Vec<u8>>| {
        let (src, dst) =
            if from_switch { (&mut switch, &mut controller) } else { (&mut controller, &mut switch) };
        frames.push(tcp_frame(src, dst, dst.seq, payload));
        src.seq = src.seq.wrapping_add(payload.len() as u32);
    };
    for c in &cases {
        let bytes = c.msg.to_vec();
        assert_eq!(bytes.len(), c.msg.encoded_len(), "{}", c.ofpt);
        // Our own decoder agrees before we ask tshark.
        assert_eq!(Message::decode(&bytes).as_ref(), Ok(&c.msg), "{}", c.ofpt);
        send(c.from_switch, &bytes, &mut frames);
    }
    // Two messages in one segment.
    let two = [
        Message { version: 4, xid: 40, body: Body::EchoRequest(vec![]) }.to_vec(),
        Message { version: 4, xid: 41, body: Body::BarrierRequest }.to_vec(),
    ]
    .concat();
    send(false, &two, &mut frames);

    let (text, file) = dissect("oracle", &frames);
    let per_frame = frames_text(&text);
    assert_eq!(per_frame.len(), frames.len(), "frames tshark read");

    let mut problems = Vec::new();
    for (i, (c, frame)) in cases.iter().zip(&per_frame).enumerate() {
        let n = i + 1;
        if !frame.contains("OpenFlow 1.3") {
            problems.push(format!("frame {n} ({}): not dissected as OpenFlow 1.3", c.ofpt));
        }
        let known_bug = c.also.contains(&DISSECTOR_BUG);
        for bad in
            ["Malformed", "Expert Info (Error", "[Dissector bug", "Bad checksum", "[Checksum Status: Bad]"]
        {
            if frame.contains(bad) && !(known_bug && (bad == "Malformed" || bad == "Expert Info (Error")) {
                let lines: Vec<&str> =
                    frame.lines().filter(|l| l.contains(bad) || l.contains("Expert")).collect();
                problems.push(format!("frame {n} ({}): {bad}: {}", c.ofpt, lines.join(" | ")));
            }
        }
        let ty = format!("Type: {} (", c.ofpt);
        if !frame.contains(&ty) {
            problems.push(format!("frame {n}: no {ty:?}"));
        }
        for want in c.also {
            if !frame.contains(want) {
                problems.push(format!("frame {n} ({}): no {want:?}", c.ofpt));
            }
        }
    }
    let last = per_frame.last().unwrap();
    for want in ["Type: OFPT_ECHO_REQUEST (", "Type: OFPT_BARRIER_REQUEST ("] {
        if !last.contains(want) {
            problems.push(format!("last frame (two messages): no {want:?}"));
        }
    }
    if !text.contains("[TCP checksum status: Good]") && !text.contains("[Checksum Status: Good]") {
        problems.push("tshark did not validate the checksums".into());
    }
    let warnings: Vec<String> =
        text.lines().filter(|l| l.contains("Expert Info (Warning")).map(String::from).collect();
    if problems.is_empty() {
        let _ = std::fs::remove_file(&file);
    }
    assert!(
        problems.is_empty(),
        "tshark disagrees ({} problem(s)); capture kept at {}:\n{}",
        problems.len(),
        file.display(),
        problems.join("\n")
    );
    eprintln!(
        "tshark dissected {} messages in {} frames: no malformed packets, no expert errors \
         (but the {} known dissector overrun(s) on OFPMP_EXPERIMENTER replies), {} warning(s){}",
        cases.len() + 2,
        frames.len(),
        cases.iter().filter(|c| c.also.contains(&DISSECTOR_BUG)).count(),
        warnings.len(),
        if warnings.is_empty() { String::new() } else { format!(": {}", warnings.join(" | ")) }
    );
}

/// The oracle can fail: a flow mod whose output action claims 24 bytes
/// (running past its instruction) is reported malformed.
#[test]
fn tshark_notices_a_broken_message() {
    if !tshark_installed() {
        return;
    }
    let mut bytes = Message::new(
        1,
        FlowMod::add(0).matching(Match::new().in_port(1)).apply_actions(vec![Action::output(2)]),
    )
    .to_vec();
    // header 8 + flow mod 40 + match 16 + instruction header 8: the action's len is at 74.
    assert_eq!(&bytes[72..76], &[0, 0, 0, 16]);
    bytes[74..76].copy_from_slice(&[0, 24]);
    assert!(Message::decode(&bytes).is_err(), "our decoder refuses it too");
    let switch = Endpoint { mac: [2, 0, 0, 0, 0, 2], ip: [10, 0, 0, 2], port: 50000, seq: 1 };
    let controller = Endpoint { mac: [2, 0, 0, 0, 0, 1], ip: [10, 0, 0, 1], port: 6653, seq: 1 };
    let (text, file) = dissect("broken", &[tcp_frame(&controller, &switch, 1, &bytes)]);
    let _ = std::fs::remove_file(file);
    assert!(text.contains("Type: OFPT_FLOW_MOD ("), "{text}");
    assert!(text.contains("Malformed") || text.contains("Expert Info (Error"), "{text}");
}
