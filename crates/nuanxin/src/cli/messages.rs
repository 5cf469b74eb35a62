//! The command line's message catalogue: every text an official reads from `nuanxin import`,
//! `nuanxin admin` and the start-up checks of `nuanxin serve`, in Simplified Chinese
//! ([`zh`]) and English ([`en`]), chosen by [`super::lang`].
//!
//! The library's errors keep structured data (an [`Issue`] has its location, field and
//! severity; an [`ImportError`] its counts), and are rendered here, once per language. The
//! library words each issue's reason in English; [`reason_zh`] translates it through a table
//! of the library's reason templates ([`REASONS`]); a reason the table does not know is shown
//! in English, after the Chinese location and field. The API's problem bodies are not
//! rendered here: they stay as the server writes them.
//!
//! Why this file is long: a message catalogue: every CLI and import message in Chinese and
//! English, one entry each, so translations are reviewed in one place; the unit tests are the
//! last ~180 lines.

use super::lang::{self, Lang};
use nuanxin::import::{ImportError, Issue, Location, Severity};

/// One message of the command line, with its data.
#[derive(Debug, Clone)]
pub enum Msg<'a> {
    /// The prefix of the error that ends a command, separator included.
    ErrorPrefix,
    /// `nuanxin import` without `--db`: the file was only checked.
    CheckedOnly,
    /// The first summary line of an import.
    ImportSummary {
        /// The file.
        file: &'a str,
        /// Records read.
        records: usize,
        /// Records accepted.
        accepted: usize,
        /// Records not accepted.
        rejected: usize,
        /// Warnings.
        warnings: usize,
        /// The file's coordinate system (`wgs84`, `gcj02`, `bd09`).
        crs: &'a str,
    },
    /// The text encoding an import detected.
    Encoding(&'a str),
    /// Points of one kind accepted.
    KindCount {
        /// Chinese label of the kind.
        zh: &'a str,
        /// English label.
        en: &'a str,
        /// Code.
        code: &'a str,
        /// How many.
        n: usize,
    },
    /// Points stored with `nuanxin import --db`.
    Stored {
        /// Points stored.
        n: usize,
        /// The database, credentials redacted.
        db: &'a str,
        /// New ids.
        new: usize,
        /// Ids replaced.
        replaced: usize,
    },
    /// Points stored with `nuanxin import --db --replace`.
    Replaced {
        /// The kinds replaced, Chinese labels joined.
        kinds: &'a str,
        /// The database, credentials redacted.
        db: &'a str,
        /// Points removed.
        removed: usize,
        /// Points stored.
        stored: usize,
    },
    /// Points written as GeoJSON (`--out`).
    Wrote {
        /// Points written.
        n: usize,
        /// The file.
        path: &'a str,
    },
    /// Context: importing a file failed.
    Importing(&'a str),
    /// Context: opening a database failed.
    OpeningDatabase(&'a str),
    /// Context: `serve` cannot listen on its address (other than a port in use).
    Listening(&'a str),
    /// Context: `serve`: the port is in use by another program.
    PortInUse(&'a str),
    /// Context: reading the service points of a database failed.
    ReadingPoints(&'a str),
    /// Source of an analysis: the embedded demo data.
    SourceDemo,
    /// Source of an analysis: a database with no stored points (the demo data it is seeded with).
    SourceDbDemo(&'a str),
    /// Source of an analysis: a database with `n` stored points.
    SourceDb {
        /// The database, credentials redacted.
        db: &'a str,
        /// Points stored.
        n: usize,
    },
    /// `nearest`: the position searched from, the conversion if any and the data source.
    NearestFrom {
        /// Longitude, WGS-84 degrees.
        lon: f64,
        /// Latitude, WGS-84 degrees.
        lat: f64,
        /// The coordinate system given and the position as given, when not WGS-84.
        given: Option<(&'a str, f64, f64)>,
        /// The travel mode of `--by time` (`walk`, `ebike`), none for straight line.
        mode: Option<&'a str>,
        /// Where the points come from.
        source: &'a str,
    },
    /// `nearest`: no point matched.
    NearestNone,
    /// `nearest`: how distance and minutes were computed.
    NearestFooter {
        /// Walking speed, km/h.
        walk_kmh: f64,
        /// E-bike speed, km/h.
        ebike_kmh: f64,
    },
    /// `roads import`/`roads info`: the source of the road graph.
    RoadsFrom(&'a str),
    /// `roads import`: the ways read.
    RoadsWays {
        /// Road ways read.
        read: String,
        /// Ways usable.
        used: String,
        /// Ways cut at missing nodes.
        cut: String,
        /// Node references missing from the extract.
        missing: String,
        /// Barriers closed to a mode.
        barriers: String,
        /// Turn restrictions applied to e-bikes.
        turns: String,
        /// Turn restrictions left out.
        turns_skipped: String,
    },
    /// `roads import`: nodes and segments of the graph.
    RoadsNodes {
        /// Nodes.
        nodes: String,
        /// Segments.
        segments: String,
        /// Bytes per segment in memory.
        memory: f64,
        /// Bytes per segment on disk.
        disk: f64,
    },
    /// `roads import`: the graph of one travel mode.
    RoadsMode {
        /// `walk`, `ebike`.
        mode: &'a str,
        /// Kilometres of road.
        km: f64,
        /// Directed edges.
        edges: String,
        /// Connected components.
        components: String,
        /// Share of nodes in the largest component, percent.
        largest_percent: f64,
    },
    /// `roads import`: how long the import took, seconds.
    RoadsTook(f64),
    /// `coverage`: the stations of the given kinds (none: all kinds) reaching the area.
    CoverageStations {
        /// The kinds, comma-separated; empty for all kinds.
        kinds: &'a str,
        /// How many stations.
        n: String,
    },
    /// Context: storing points failed.
    StoringPoints(&'a str),
    /// Context: replacing points failed.
    ReplacingPoints(&'a str),
    /// Context: writing a file failed.
    Writing(&'a str),
    /// `--service-area` names no shipped district.
    UnknownArea(&'a str),
    /// The database an admin command uses.
    Database(&'a str),
    /// `admin …` created the database because the file did not exist (a mistyped `--db`).
    NewDatabase(&'a str),
    /// `admin create-token`: an unknown adcode.
    UnknownAdcode(&'a str),
    /// `admin create-token --role officer` without a district.
    OfficerNeedsDistrict,
    /// `admin create-token --role`: not a role.
    BadRole(&'a str),
    /// `admin create-token`: the token follows on stdout.
    CreatedToken {
        /// Token id.
        id: i64,
        /// `officer` or `admin`.
        role: &'a str,
        /// Name of the office.
        name: &'a str,
        /// Districts, comma-separated (empty for an admin).
        districts: &'a str,
    },
    /// `admin revoke-token`: no such active token.
    NoActiveToken(i64),
    /// `admin revoke-token`: done.
    RevokedToken(i64),
    /// `serve --data FILE` was rejected: the heading of the issue list.
    DataRejected(&'a str),
    /// `serve --data FILE` was rejected: issues beyond the first 50.
    MoreIssues(usize),
    /// `serve --data FILE` was rejected: how to check it.
    CheckWithImport {
        /// The file.
        path: &'a str,
        /// Its coordinate system.
        crs: &'a str,
    },
    /// `nearest` without a position.
    NeedPosition,
    /// `nearest`: the position is not a valid WGS-84/GCJ-02/BD-09 one.
    InvalidPosition,
    /// `coverage` without an area.
    NeedArea,
    /// `coverage --minutes` not a positive number.
    BadMinutes(f64),
    /// How many imported rows are marked as demo data (`演示数据` = 是 / `demo` = true).
    DemoRows(usize),
    /// A numeric option outside its range (the same ranges as the HTTP API's).
    OutOfRange {
        /// The option, e.g. `-k/--limit`.
        flag: &'a str,
        /// The range in words, e.g. `1–1000`.
        range: &'a str,
        /// The value given.
        got: String,
    },
    /// `coverage --demand` names neither a layer nor a file.
    BadDemand(&'a str),
    /// The configuration (`nuanxin.toml`, `--config`, `NUANXIN_*`) is invalid; the reason
    /// as the configuration library words it (English, naming the key and the file).
    ConfigError(&'a str),
    /// A file cannot be written.
    CannotWrite(&'a str),
    /// Where the service points of an analysis come from.
    ServicePoints(&'a str),
    /// `coverage --at`: only stations open then count.
    OpenAt(&'a str),
    /// `coverage --demand`: the demand layer and its attribution.
    Demand {
        /// The layer.
        layer: &'a str,
        /// Its source and licence.
        attribution: &'a str,
    },
    /// A warning of an analysis (worded by the library).
    AnalysisWarning(&'a str),
    /// `roads import`: where the graph was written.
    RoadsWritten(&'a str),
    /// `serve --data` / `--data` of an analysis: loading the file failed.
    LoadingData(&'a str),
    /// clap: an argument the command does not know, with clap's suggestion if any.
    ArgUnknown {
        /// The argument as typed.
        arg: &'a str,
        /// A known argument it resembles.
        suggestion: Option<&'a str>,
    },
    /// clap: a value that is not one of the allowed ones, or no value at all (`value` empty).
    ArgInvalidValue {
        /// The argument, e.g. `--mode <MODE>`.
        arg: &'a str,
        /// The value given (empty: none given).
        value: &'a str,
        /// The allowed values, comma-separated (empty: any).
        valid: &'a str,
    },
    /// clap: a value its parser refused, with the parser's reason.
    ArgValueRefused {
        /// The argument.
        arg: &'a str,
        /// The value given.
        value: &'a str,
        /// Why it was refused.
        reason: &'a str,
    },
    /// clap: required arguments missing, comma-separated.
    ArgMissing(&'a str),
    /// clap: a command that needs a subcommand got none.
    SubcommandMissing {
        /// The command.
        command: &'a str,
        /// Its subcommands, comma-separated.
        valid: &'a str,
    },
    /// clap: a subcommand the command does not know.
    SubcommandUnknown {
        /// The subcommand as typed.
        name: &'a str,
        /// A known subcommand it resembles.
        suggestion: Option<&'a str>,
    },
    /// clap: two arguments that cannot be used together.
    ArgConflict {
        /// The argument.
        arg: &'a str,
        /// The one it conflicts with.
        other: &'a str,
    },
    /// clap: any other argument error, with clap's own (English) text.
    ArgOther(&'a str),
    /// clap: the usage line under an argument error (`usage` without its heading).
    ArgUsage(&'a str),
    /// clap: the hint under an argument error.
    ArgMoreInfo,
    /// A SQLite database given with `--db` does not exist (and is not created here).
    NoDatabase(&'a str),
    /// A travel mode's name (`walk`, `ebike`).
    Mode(&'a str),
    /// How a time was computed: along roads (`true`) or straight line (`false`).
    Model(bool),
    /// Context: building the spatial index failed.
    BuildingIndex,
    /// `nearest --by time`: the distance from the position to the nearest road, metres.
    OriginSnap(f64),
    /// `nearest --by time`: no road within this many metres of the position leads into the
    /// network (none at all, or only one-way streets that lead nowhere).
    OriginNoRoad(f64),
    /// `nearest --by time`: how the minutes were computed.
    NearestByTimeFooter {
        /// Speed of the mode, km/h.
        kmh: f64,
        /// The mode (`walk`, `ebike`).
        mode: &'a str,
        /// The extract the road graph was imported from.
        source: &'a str,
    },
    /// `roads import`: street names stored for place search.
    StreetNames(usize),
    /// Travel along roads without `--db` or `--roads`.
    NeedRoadGraph,
    /// No road graph file at this path.
    NoRoadGraph(&'a str),
    /// Context: loading a road graph failed.
    LoadingRoadGraph(&'a str),
    /// `coverage`: the first line of the report.
    CoverageSummary {
        /// The area: a district's name and adcode, or its kind (`bbox`, `geometry`).
        area: &'a str,
        /// The travel mode and minutes, when given.
        travel: Option<(&'a str, f64)>,
        /// Along roads (`true`) or straight-line circles.
        network: bool,
        /// Radius of a straight-line circle, metres.
        radius_m: f64,
        /// H3 resolution.
        resolution: u8,
        /// H3 cells of the area.
        cells: usize,
        /// Mean H3 edge length, metres.
        edge_m: f64,
        /// Area of the boundary, km².
        boundary_km2: f64,
    },
    /// `coverage`: the kind of an area without a district (`bbox`, `geometry`).
    AreaKind(&'a str),
    /// `coverage`: how the demand share is computed (above the table).
    DemandShareNote,
    /// `coverage`: the total row of the table.
    Total,
    /// `coverage`: a district without demand data.
    NoData,
    /// `coverage`: the row of cells outside every shipped district (`区域外` in the library).
    OutsideDistricts,
    /// `coverage --propose`: the heading of the proposals, with the candidate rule.
    ProposalsHeading(&'a str),
    /// `coverage --propose`: the coordinate systems of the proposals.
    ProposalCoordinates,
    /// `coverage --gaps`: where the gap polygons were written.
    GapPolygons {
        /// The file.
        path: &'a str,
        /// Features written.
        n: usize,
    },
    /// `demo --check`: the embedded dataset equals a fresh generation.
    DemoOk {
        /// Points.
        n: usize,
        /// Seed.
        seed: u64,
    },
    /// `demo`: the dataset was written.
    DemoWrote {
        /// Points.
        n: usize,
        /// Seed.
        seed: u64,
        /// The file.
        path: &'a str,
    },
    /// `demo --check`: the embedded dataset differs from a fresh generation.
    DemoDiffers(u64),
    /// `db copy`: the source.
    CopyFrom(&'a str),
    /// `db copy`: the destination.
    CopyTo(&'a str),
    /// `db copy`: the header of the table of tables.
    CopyHeader,
    /// `db copy`: the mark of a table whose two sides differ.
    CopyDiffers,
    /// `db copy`: every table matches.
    CopyMatch {
        /// Tables.
        n: usize,
        /// Seconds the copy took.
        secs: f64,
    },
    /// `db copy`: `--from` and `--to` name the same database.
    SameDatabase,
    /// Context: `db copy` failed (nothing was written).
    Copying {
        /// The source, credentials redacted.
        from: &'a str,
        /// The destination, credentials redacted.
        to: &'a str,
    },
    /// `db copy`: tables that differ after the copy, comma-separated.
    TablesDiffer(&'a str),
    /// `coverage`: where proposals may go (`uncovered_cells`, `demand_cells`, `all_cells`,
    /// `sites`).
    Candidates(&'a str),
    /// `admin create-token` without `--name`: the name given to the token.
    DefaultTokenName {
        /// `officer` or `admin`.
        role: &'a str,
        /// The districts, comma-separated.
        districts: &'a str,
    },
    /// `coverage`: a district's name with its adcode.
    NamedArea {
        /// The name.
        name: &'a str,
        /// The adcode.
        adcode: &'a str,
    },
}

/// The message in the language in force.
pub fn text(m: &Msg<'_>) -> String {
    match lang::current() {
        Lang::Zh => zh(m),
        Lang::En => en(m),
    }
}

/// A table the command line prints.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Table {
    /// `nearest`: straight-line distance and minutes.
    Nearest,
    /// `nearest --by time`: minutes along roads.
    NearestByTime,
    /// `coverage`: one row per district.
    Coverage,
    /// `coverage` with demand: the demand columns, then those of [`Table::Coverage`] after
    /// the first two.
    CoverageDemand,
    /// `coverage --propose`: one row per proposed site.
    Proposals,
    /// `admin list-tokens`: one row per token (tab-separated).
    Tokens,
}

/// The column headers of a table in the language in force.
pub fn headers(t: Table) -> &'static [&'static str] {
    let zh = lang::current() == Lang::Zh;
    match (t, zh) {
        (Table::Nearest, true) => &[
            "#",
            "名称",
            "类型",
            "距离（米）",
            "步行（分钟）",
            "电动车（分钟）",
            "开放时间",
        ],
        (Table::Nearest, false) => &[
            "#",
            "Name",
            "Kind",
            "Distance m",
            "Walk min",
            "E-bike min",
            "Hours",
        ],
        (Table::NearestByTime, true) => &[
            "#",
            "名称",
            "直线距离（米）",
            "沿道路距离（米）",
            "分钟",
            "计算方式",
        ],
        (Table::NearestByTime, false) => &[
            "#",
            "Name",
            "Straight m",
            "Along roads m",
            "Minutes",
            "Model",
        ],
        (Table::Coverage, true) => &["区划代码", "名称", "覆盖率 %", "面积 km²", "覆盖面积 km²"],
        (Table::Coverage, false) => &["adcode", "name", "covered %", "area km²", "covered km²"],
        (Table::CoverageDemand, true) => &["需求覆盖率 %", "有数据 %", "需求"],
        (Table::CoverageDemand, false) => &["demand %", "data %", "demand"],
        (Table::Proposals, true) => &[
            "#",
            "经度 WGS-84",
            "纬度 WGS-84",
            "经度 GCJ-02",
            "纬度 GCJ-02",
            "区划代码",
            "新增覆盖 km²",
            "建站后覆盖率 %",
            "建站后需求覆盖率 %",
        ],
        (Table::Proposals, false) => &[
            "#",
            "lon WGS-84",
            "lat WGS-84",
            "lon GCJ-02",
            "lat GCJ-02",
            "adcode",
            "added km²",
            "covered % after",
            "demand % after",
        ],
        (Table::Tokens, true) => &["编号", "角色", "辖区", "名称", "创建时间", "撤销时间"],
        (Table::Tokens, false) => &["id", "role", "districts", "name", "created", "revoked"],
    }
}

/// The message in Simplified Chinese.
pub fn zh(m: &Msg<'_>) -> String {
    match *m {
        Msg::ArgUnknown { arg, suggestion } => match suggestion {
            Some(sug) => format!("未知参数 `{arg}`；你是不是想用 `{sug}`？"),
            None => format!("未知参数 `{arg}`"),
        },
        Msg::ArgInvalidValue { arg, value, valid } => {
            let allowed = if valid.is_empty() { String::new() } else { format!("；可选值：{valid}") };
            if value.is_empty() {
                format!("参数 `{arg}` 需要一个值，但没有给出{allowed}")
            } else {
                format!("参数 `{arg}` 的值 `{value}` 无效{allowed}")
            }
        }
        Msg::ArgValueRefused { arg, value, reason } => {
            format!("参数 `{arg}` 的值 `{value}` 无效：{reason}")
        }
        Msg::ArgMissing(args) => format!("缺少必需的参数：{args}"),
        Msg::SubcommandMissing { command, valid } => {
            format!("`{command}` 需要一个子命令；可用的子命令：{valid}")
        }
        Msg::SubcommandUnknown { name, suggestion } => match suggestion {
            Some(sug) => format!("未知子命令 `{name}`；你是不是想用 `{sug}`？"),
            None => format!("未知子命令 `{name}`"),
        },
        Msg::ArgConflict { arg, other } => format!("参数 `{arg}` 不能与 `{other}` 同时使用"),
        Msg::ArgOther(detail) => format!("命令行参数有误：{detail}"),
        Msg::ArgUsage(usage) => format!("用法：{usage}"),
        Msg::ArgMoreInfo => "运行 `--help` 查看全部参数的说明".into(),
        Msg::ErrorPrefix => "错误：".into(),
        Msg::CheckedOnly => {
            "仅作检查，未保存：加 --db 文件名 可把这些服务点存入服务器的数据库".into()
        }
        Msg::ImportSummary {
            file,
            records,
            accepted,
            rejected,
            warnings,
            crs,
        } => format!(
            "{file}：读取 {records} 条记录，接受 {accepted} 条，未接受 {rejected} 条，警告 {warnings} 条；坐标系 {crs} 已转换为 WGS-84"
        ),
        Msg::Encoding(e) => format!("  文字编码：{e}"),
        Msg::KindCount { zh, code, n, .. } => format!("  {zh}（{code}）：{n}"),
        Msg::Stored {
            n,
            db,
            new,
            replaced,
        } => format!(
            "已将 {n} 个服务点存入 {db}（新增 {new} 个，替换 {replaced} 个）；重启 `nuanxin serve --db {db}` 后生效"
        ),
        Msg::Replaced {
            kinds,
            db,
            removed,
            stored,
        } => format!(
            "已替换 {db} 中全部{kinds}服务点：删除 {removed} 个，存入 {stored} 个；重启 `nuanxin serve --db {db}` 后生效"
        ),
        Msg::Wrote { n, path } => format!("已将 {n} 个服务点写入 {path}"),
        Msg::Importing(p) => format!("导入 {p} 时出错"),
        Msg::OpeningDatabase(d) => format!("无法打开数据库 {d}"),
        Msg::Listening(a) => format!("无法监听 {a}"),
        Msg::PortInUse(a) => format!(
            "无法监听 {a}：端口已被占用（另一个程序正在使用它；请停止该程序，或用 --listen 换一个端口）"
        ),
        Msg::ReadingPoints(d) => format!("无法从 {d} 读取服务点"),
        Msg::SourceDemo => {
            "内置演示数据（虚构的点；用 --db nuanxin.db 使用服务器的服务点）".into()
        }
        Msg::SourceDbDemo(d) => {
            format!("{d}：尚未存入服务点，因此使用服务器为它填入的内置演示数据（虚构的点）")
        }
        Msg::SourceDb { db, n } => format!("{db}（已存 {n} 个服务点）"),
        Msg::NearestFrom {
            lon,
            lat,
            given,
            mode,
            source,
        } => {
            let conv = given.map_or(String::new(), |(crs, x, y)| {
                format!("，由 {crs} {x:.6}, {y:.6} 换算")
            });
            let by = mode.map_or(String::new(), |m| format!("，出行方式：{}", zh(&Msg::Mode(m))));
            format!("起点：经度 {lon:.6}，纬度 {lat:.6}（WGS-84{conv}）{by}；数据：{source}")
        }
        Msg::NearestNone => "没有符合条件的服务点".into(),
        Msg::NearestFooter {
            walk_kmh,
            ebike_kmh,
        } => format!(
            "距离为 WGS-84 椭球面上的直线距离；分钟按步行 {walk_kmh:.0} km/h、电动车 {ebike_kmh:.0} km/h 计算。"
        ),
        Msg::RoadsFrom(src) => format!("道路网，来源：{src}"),
        Msg::RoadsWays {
            ref read,
            ref used,
            ref cut,
            ref missing,
            ref barriers,
            ref turns,
            ref turns_skipped,
        } => format!(
            "  道路：读入 {read} 条，可用 {used} 条，{cut} 条因缺少 {missing} 个节点而截断（裁剪过的数据）；{barriers} 处障碍（门、栅栏等）对某种出行方式关闭；{turns} 条转弯限制用于电动车（{turns_skipped} 条未用）"
        ),
        Msg::RoadsNodes {
            ref nodes,
            ref segments,
            memory,
            disk,
        } => format!(
            "  节点 {nodes} 个，路段 {segments} 段；每段内存 {memory:.1} 字节，磁盘 {disk:.1} 字节"
        ),
        Msg::RoadsMode {
            mode,
            km,
            ref edges,
            ref components,
            largest_percent,
        } => format!(
            "  {}：道路 {km:.1} 公里，有向边 {edges} 条，连通分量 {components} 个，最大分量含 {largest_percent:.1} % 的节点",
            zh(&Msg::Mode(mode))
        ),
        Msg::RoadsTook(s) => format!("  导入用时 {s:.2} 秒"),
        Msg::CoverageStations { kinds, ref n } => {
            let kinds = if kinds.is_empty() { "全部类型" } else { kinds };
            format!("能到达该区域的服务点（{kinds}）：{n} 个")
        }
        Msg::StoringPoints(d) => format!("无法把服务点存入 {d}"),
        Msg::ReplacingPoints(d) => format!("无法替换 {d} 中的服务点"),
        Msg::Writing(p) => format!("无法写入 {p}"),
        Msg::UnknownArea(s) => format!(
            "`{s}` 不是随软件提供的区县或城市的行政区划代码（如 430100 长沙市、430102 芙蓉区）"
        ),
        Msg::Database(d) => format!("数据库：{d}"),
        Msg::NewDatabase(d) => format!(
            "注意：数据库 {d} 原来不存在，现已新建。服务器只认自己 --db 里的令牌：若 --db 写错了，请删掉这个文件，用服务器的 --db 重来。"
        ),
        Msg::UnknownAdcode(a) => format!(
            "--adcode：未知的行政区划代码 `{a}`（应为湖南省的区县或城市代码，如 430102）"
        ),
        Msg::OfficerNeedsDistrict => "--adcode：工作人员令牌至少需要一个区县".into(),
        Msg::BadRole(e) => format!(
            "--role：{}（officer 工作人员、admin 管理员）",
            reason_zh(e).unwrap_or_else(|| e.to_string())
        ),
        Msg::CreatedToken {
            id,
            role,
            name,
            districts,
        } => {
            let role = match role {
                "admin" => "管理员 admin",
                "officer" => "工作人员 officer",
                other => other,
            };
            let d = if districts.is_empty() {
                String::new()
            } else {
                format!("，区县 {districts}")
            };
            format!("已创建令牌 {id}（{role}，{name}{d}）；令牌只显示这一次，请妥善保存：")
        }
        Msg::NoActiveToken(id) => format!("--id：没有编号为 {id} 的有效令牌"),
        Msg::RevokedToken(id) => format!("已撤销令牌 {id}"),
        Msg::DataRejected(p) => format!("{p} 未通过检查，未从中加载任何服务点："),
        Msg::MoreIssues(n) => format!("  …… 另有 {n} 个问题"),
        Msg::CheckWithImport { path, crs } => format!(
            "请用 `nuanxin import {path} --crs {crs}` 检查该文件（加 --skip-invalid --db 文件名 可只保存有效记录）"
        ),
        Msg::NeedPosition => "请用 --lon 和 --lat，或 --at 经度,纬度 给出位置".into(),
        Msg::InvalidPosition => "位置无效".into(),
        Msg::NeedArea => "请用 --adcode、--bbox 或 --geometry 指定分析区域".into(),
        Msg::BadMinutes(m) => format!(
            "--minutes 必须是大于 0 的数；现在是 {}",
            nuanxin::error::shown_number(m)
        ),
        Msg::DemoRows(n) => format!(
            "注意：其中 {n} 个服务点标为演示数据（“演示数据”列为“是”）：地图会显示演示数据横幅，\
             nuanxin serve --no-demo 不会提供它们。导入真实数据时，请把这一列留空或填“否”。"
        ),
        Msg::OutOfRange {
            flag,
            range,
            ref got,
        } => format!("{flag} 必须在 {range} 之间；现在是 {got}"),
        Msg::ConfigError(e) => format!("配置有误 (configuration error): {e}"),
        Msg::BadDemand(d) => {
            format!("--demand `{d}`：既不是 builtup（建筑量）、pickups（取餐点），也不是已有的文件")
        }
        Msg::CannotWrite(p) => format!("无法写入 {p}"),
        Msg::ServicePoints(s) => format!("服务点来源：{s}"),
        Msg::OpenAt(at) => format!("只计北京时间 {at} 开放的服务点"),
        Msg::Demand { layer, attribution } => format!("需求：{layer}（{attribution}）"),
        Msg::AnalysisWarning(w) => format!("警告：{w}"),
        Msg::RoadsWritten(p) => format!("已写入 {p}（服务器启动时加载）"),
        Msg::LoadingData(p) => format!("加载 {p} 时出错（可用 `nuanxin import` 检查该文件）"),
        Msg::NoDatabase(d) => format!(
            "数据库 {d} 不存在：请检查 --db 的路径（数据库由 `nuanxin serve --db 文件名` 或 `nuanxin import 文件 --db 文件名` 创建）"
        ),
        Msg::Mode(m) => match m {
            "walk" => "步行".into(),
            "ebike" => "电动车".into(),
            other => other.into(),
        },
        Msg::Model(network) => if network { "沿道路" } else { "直线" }.into(),
        Msg::BuildingIndex => "无法建立空间索引".into(),
        Msg::OriginSnap(m) => format!("起点距道路 {m:.0} 米"),
        Msg::OriginNoRoad(m) => format!("起点 {m} 米内没有可通往路网的道路，按直线计算"),
        Msg::NearestByTimeFooter { kmh, mode, source } => format!(
            "分钟按{}每小时 {kmh:.0} 公里沿道路计算（道路网：OpenStreetMap，{source}），含到道路的直线段；电动车另计路口等待和转弯限制。",
            zh(&Msg::Mode(mode))
        ),
        Msg::StreetNames(n) => format!("供地点搜索的街道名称：{n} 个"),
        Msg::NeedRoadGraph => "沿道路计算需要道路网：请给出 --db（先运行 `nuanxin roads import 文件.osm.pbf --db 数据库`）或 --roads 道路网文件".into(),
        Msg::NoRoadGraph(p) => format!(
            "{p}：没有道路网，请先运行 `nuanxin roads import 文件.osm.pbf --db 数据库`"
        ),
        Msg::LoadingRoadGraph(p) => format!("无法加载道路网 {p}"),
        Msg::CoverageSummary {
            area,
            travel,
            network,
            radius_m,
            resolution,
            cells,
            edge_m,
            boundary_km2,
        } => {
            let travel = travel.map_or(String::new(), |(m, min)| {
                format!("{} {min} 分钟，", zh(&Msg::Mode(m)))
            });
            format!(
                "{area}：{travel}{}，半径 {radius_m:.0} 米，H3 分辨率 {resolution}（{cells} 个格子，平均边长 {edge_m:.0} 米）；边界内面积 {boundary_km2:.1} km²",
                zh(&Msg::Model(network))
            )
        }
        Msg::AreaKind(k) => match k {
            "bbox" => "矩形范围".into(),
            "geometry" => "自定义区域".into(),
            other => other.into(),
        },
        Msg::DemandShareNote => {
            "需求覆盖率 = 服务圈内的需求 ÷ 有数据部分的全部需求".into()
        }
        Msg::Total => "合计".into(),
        Msg::NoData => "无数据".into(),
        Msg::OutsideDistricts => "区域外".into(),
        Msg::ProposalsHeading(c) => format!(
            "建议新增的站点（贪心最大覆盖加交换改进；保证不低于最优解的 63.2 %；候选点：{c}）："
        ),
        Msg::ProposalCoordinates => {
            "坐标：WGS-84（GPS/OpenStreetMap）和 GCJ-02（高德、微信）".into()
        }
        Msg::GapPolygons { path, n } => format!("覆盖缺口多边形：{path}（{n} 个要素）"),
        Msg::DemoOk { n, seed } => {
            format!("演示数据检查通过：{n} 个点，随机种子 {seed}")
        }
        Msg::DemoWrote { n, seed, path } => {
            format!("已将 {n} 个演示点（随机种子 {seed}）写入 {path}")
        }
        Msg::DemoDiffers(seed) => {
            format!("内置演示数据与用随机种子 {seed} 重新生成的结果不一致")
        }
        Msg::CopyFrom(d) => format!("源：{d}"),
        Msg::CopyTo(d) => format!("目标：{d}"),
        Msg::CopyHeader => "表 / 源行数 / 源 SHA-256 / 目标行数 / 目标 SHA-256".into(),
        Msg::CopyDiffers => "  ≠ 不一致".into(),
        Msg::CopyMatch { n, secs } => format!("一致：全部 {n} 张表相同（用时 {secs:.1} 秒）"),
        Msg::SameDatabase => "--from 和 --to 是同一个数据库".into(),
        Msg::Copying { from, to } => format!("无法把 {from} 复制到 {to}（未写入任何内容）"),
        Msg::TablesDiffer(t) => format!(
            "复制后不一致的表：{t}。目标中有源里没有的行（加 --replace 先清空目标再复制），或复制期间源有改动。"
        ),
        Msg::Candidates(c) => match c {
            "uncovered_cells" => "未覆盖的格子".into(),
            "demand_cells" => "有需求的格子".into(),
            "all_cells" => "全部格子".into(),
            "sites" => "给定的候选点".into(),
            other => other.into(),
        },
        Msg::NamedArea { name, adcode } => format!("{name}（{adcode}）"),
        Msg::DefaultTokenName { role, districts } => match role {
            "admin" => "管理员".into(),
            _ => format!("工作人员 {districts}"),
        },
    }
}

/// The message in English.
pub fn en(m: &Msg<'_>) -> String {
    match *m {
        Msg::ArgUnknown { arg, suggestion } => match suggestion {
            Some(sug) => format!("unexpected argument `{arg}`; did you mean `{sug}`?"),
            None => format!("unexpected argument `{arg}`"),
        },
        Msg::ArgInvalidValue { arg, value, valid } => {
            let allowed = if valid.is_empty() { String::new() } else { format!("; possible values: {valid}") };
            if value.is_empty() {
                format!("a value is required for `{arg}` but none was supplied{allowed}")
            } else {
                format!("invalid value `{value}` for `{arg}`{allowed}")
            }
        }
        Msg::ArgValueRefused { arg, value, reason } => {
            format!("invalid value `{value}` for `{arg}`: {reason}")
        }
        Msg::ArgMissing(args) => format!("the following required arguments were not provided: {args}"),
        Msg::SubcommandMissing { command, valid } => {
            format!("`{command}` requires a subcommand; available: {valid}")
        }
        Msg::SubcommandUnknown { name, suggestion } => match suggestion {
            Some(sug) => format!("unrecognized subcommand `{name}`; did you mean `{sug}`?"),
            None => format!("unrecognized subcommand `{name}`"),
        },
        Msg::ArgConflict { arg, other } => format!("the argument `{arg}` cannot be used with `{other}`"),
        Msg::ArgOther(detail) => format!("bad command-line arguments: {detail}"),
        Msg::ArgUsage(usage) => format!("Usage: {usage}"),
        Msg::ArgMoreInfo => "For more information, try `--help`.".into(),
        Msg::ErrorPrefix => "error: ".into(),
        Msg::CheckedOnly => {
            "checked only: pass --db FILE to store the points in the server's database".into()
        }
        Msg::ImportSummary {
            file,
            records,
            accepted,
            rejected,
            warnings,
            crs,
        } => format!(
            "{file}: {records} record(s) read, {accepted} accepted, {rejected} not accepted, {warnings} warning(s); crs {crs} converted to WGS-84"
        ),
        Msg::Encoding(e) => format!("  encoding: {e}"),
        Msg::KindCount { zh, en, code, n } => format!("  {zh} {en} ({code}): {n}"),
        Msg::Stored {
            n,
            db,
            new,
            replaced,
        } => format!(
            "stored {n} point(s) in {db} ({new} new, {replaced} replaced); restart `nuanxin serve --db {db}` to serve them"
        ),
        Msg::Replaced {
            kinds,
            db,
            removed,
            stored,
        } => format!(
            "replaced every {kinds} point in {db}: {removed} removed, {stored} stored; restart `nuanxin serve --db {db}` to serve them"
        ),
        Msg::Wrote { n, path } => format!("wrote {n} point(s) to {path}"),
        Msg::Importing(p) => format!("importing {p}"),
        Msg::OpeningDatabase(d) => format!("opening database {d}"),
        Msg::Listening(a) => format!("listening on {a}"),
        Msg::PortInUse(a) => format!(
            "listening on {a}: the port is in use by another program (stop it, or pick another port with --listen)"
        ),
        Msg::ReadingPoints(d) => format!("reading service points from {d}"),
        Msg::SourceDemo => {
            "embedded demo data (synthetic; pass --db nuanxin.db for the server's points)".into()
        }
        Msg::SourceDbDemo(d) => format!(
            "{d}: no stored points yet, so the embedded demo data the server seeds it with (synthetic)"
        ),
        Msg::SourceDb { db, n } => format!("{db} ({n} stored points)"),
        Msg::NearestFrom {
            lon,
            lat,
            given,
            mode,
            source,
        } => {
            let conv = given.map_or(String::new(), |(crs, x, y)| {
                format!(", converted from {crs} {x:.6}, {y:.6}")
            });
            let by = mode.map_or(String::new(), |m| format!(" by {}", en(&Msg::Mode(m))));
            format!("From lon {lon:.6}, lat {lat:.6} (WGS-84{conv}){by}; data: {source}")
        }
        Msg::NearestNone => "No matching service points.".into(),
        Msg::NearestFooter {
            walk_kmh,
            ebike_kmh,
        } => format!(
            "Straight-line distance on the WGS-84 ellipsoid; minutes at {walk_kmh:.0} km/h walking, {ebike_kmh:.0} km/h e-bike."
        ),
        Msg::RoadsFrom(src) => format!("Road graph from {src}"),
        Msg::RoadsWays {
            ref read,
            ref used,
            ref cut,
            ref missing,
            ref barriers,
            ref turns,
            ref turns_skipped,
        } => format!(
            "  ways: {read} road ways read, {used} usable, {cut} cut at {missing} missing nodes (clipped extract); {barriers} barriers (gates, stiles…) closed to a mode; {turns} turn restrictions applied to e-bikes ({turns_skipped} left out)"
        ),
        Msg::RoadsNodes {
            ref nodes,
            ref segments,
            memory,
            disk,
        } => format!(
            "  nodes: {nodes}, segments: {segments}, {memory:.1} bytes per segment in memory, {disk:.1} on disk"
        ),
        Msg::RoadsMode {
            mode,
            km,
            ref edges,
            ref components,
            largest_percent,
        } => format!(
            "  {:<6} {km:>9.1} km of road, {edges} directed edges, {components} connected components, largest holds {largest_percent:.1} % of nodes",
            en(&Msg::Mode(mode))
        ),
        Msg::RoadsTook(s) => format!("  import took {s:.2} s"),
        Msg::CoverageStations { kinds, ref n } => {
            let kinds = if kinds.is_empty() { "all kinds" } else { kinds };
            format!("stations ({kinds}) reaching the area: {n}")
        }
        Msg::StoringPoints(d) => format!("storing the points in {d}"),
        Msg::ReplacingPoints(d) => format!("replacing the points in {d}"),
        Msg::Writing(p) => format!("writing {p}"),
        Msg::UnknownArea(s) => format!(
            "`{s}` is not the adcode of a shipped district or city (e.g. 430100 长沙市, 430102 芙蓉区)"
        ),
        Msg::Database(d) => format!("database: {d}"),
        Msg::NewDatabase(d) => format!(
            "note: database {d} did not exist and was created. A server accepts only the tokens in its own --db: if --db was mistyped, delete this file and run again with the server's --db."
        ),
        Msg::UnknownAdcode(a) => format!(
            "--adcode: unknown adcode `{a}` (expected a Hunan county or city code, e.g. 430102)"
        ),
        Msg::OfficerNeedsDistrict => "--adcode: an officer token needs at least one district".into(),
        Msg::BadRole(e) => format!("--role: {e}"),
        Msg::CreatedToken {
            id,
            role,
            name,
            districts,
        } => {
            let d = if districts.is_empty() {
                String::new()
            } else {
                format!(", districts {districts}")
            };
            format!("created token id {id} ({role}, {name}{d}); it is shown only now:")
        }
        Msg::NoActiveToken(id) => format!("--id: no active token {id}"),
        Msg::RevokedToken(id) => format!("revoked token {id}"),
        Msg::DataRejected(p) => format!("{p} was rejected; nothing was served from it:"),
        Msg::MoreIssues(n) => format!("  ... and {n} more"),
        Msg::CheckWithImport { path, crs } => format!(
            "check it with `nuanxin import {path} --crs {crs}` (add --skip-invalid --db FILE to keep the valid rows)"
        ),
        Msg::NeedPosition => "give --lon and --lat, or --at LON,LAT".into(),
        Msg::InvalidPosition => "invalid position".into(),
        Msg::NeedArea => "give the area with --adcode, --bbox or --geometry".into(),
        Msg::BadMinutes(m) => format!(
            "--minutes must be a number > 0; got {}",
            nuanxin::error::shown_number(m)
        ),
        Msg::DemoRows(n) => format!(
            "note: {n} of these points are marked as demo data (column 演示数据 = 是 / demo = \
             true): the map shows the demo banner and `nuanxin serve --no-demo` does not serve \
             them. For real data leave that column empty or 否."
        ),
        Msg::OutOfRange {
            flag,
            range,
            ref got,
        } => format!("{flag} must be in {range}; got {got}"),
        Msg::ConfigError(e) => format!("configuration error: {e}"),
        Msg::BadDemand(d) => format!("--demand `{d}`: not builtup, pickups or an existing file"),
        Msg::CannotWrite(p) => format!("cannot write {p}"),
        Msg::ServicePoints(s) => format!("service points: {s}"),
        Msg::OpenAt(at) => format!("stations open at {at} Beijing time (北京时间) only"),
        Msg::Demand { layer, attribution } => format!("demand: {layer} ({attribution})"),
        Msg::AnalysisWarning(w) => format!("warning: {w}"),
        Msg::RoadsWritten(p) => format!("written to {p} (the server loads it at start)"),
        Msg::LoadingData(p) => format!("loading {p} (check it with `nuanxin import`)"),
        Msg::NoDatabase(d) => format!(
            "no database at {d}: check the --db path (a database is created by `nuanxin serve --db FILE` or `nuanxin import FILE --db FILE`)"
        ),
        Msg::Mode(m) => match m {
            "ebike" => "e-bike".into(),
            other => other.into(),
        },
        Msg::Model(network) => if network { "along roads" } else { "straight line" }.into(),
        Msg::BuildingIndex => "building the spatial index".into(),
        Msg::OriginSnap(m) => format!("origin is {m:.0} m from the road"),
        Msg::OriginNoRoad(m) => format!("no road within {m} m of the origin leads into the network: straight line"),
        Msg::NearestByTimeFooter { kmh, mode, source } => format!(
            "Minutes by {} at {kmh:.0} km/h along roads (OpenStreetMap, {source}), off-road legs included; e-bikes also wait at junctions and obey turn restrictions.",
            en(&Msg::Mode(mode))
        ),
        Msg::StreetNames(n) => format!("street names for search: {n}"),
        Msg::NeedRoadGraph => "travel along roads needs a road graph: give --db after `nuanxin roads import FILE.osm.pbf --db DB`, or --roads FILE.roads".into(),
        Msg::NoRoadGraph(p) => format!(
            "{p}: no road graph; import one first with `nuanxin roads import FILE.osm.pbf --db DB`"
        ),
        Msg::LoadingRoadGraph(p) => format!("loading the road graph {p}"),
        Msg::CoverageSummary {
            area,
            travel,
            network,
            radius_m,
            resolution,
            cells,
            edge_m,
            boundary_km2,
        } => {
            let travel = travel.map_or(String::new(), |(m, min)| {
                format!("{} {min} min, ", en(&Msg::Mode(m)))
            });
            format!(
                "{area}: {travel}{}, radius {radius_m:.0} m, H3 resolution {resolution} ({cells} cells, mean edge {edge_m:.0} m); boundary {boundary_km2:.1} km²",
                en(&Msg::Model(network))
            )
        }
        Msg::AreaKind(k) => match k {
            "bbox" => "box".into(),
            "geometry" => "area of the geometry file".into(),
            other => other.into(),
        },
        Msg::DemandShareNote => {
            "demand % = demand within reach ÷ all demand where there is data".into()
        }
        Msg::Total => "total".into(),
        Msg::NoData => "no data".into(),
        Msg::OutsideDistricts => "outside the districts".into(),
        Msg::ProposalsHeading(c) => format!(
            "proposed new sites (greedy maximal covering improved by interchange; ≥ 63.2 % of the optimum guaranteed; candidates: {c}):"
        ),
        Msg::ProposalCoordinates => {
            "coordinates: WGS-84 (GPS/OpenStreetMap) and GCJ-02 (Amap, WeChat)".into()
        }
        Msg::GapPolygons { path, n } => format!("gap polygons: {path} ({n} features)"),
        Msg::DemoOk { n, seed } => format!("demo dataset OK: {n} points, seed {seed}"),
        Msg::DemoWrote { n, seed, path } => {
            format!("wrote {n} demo points (seed {seed}) to {path}")
        }
        Msg::DemoDiffers(seed) => format!(
            "the embedded demo dataset differs from a fresh generation with seed {seed}"
        ),
        Msg::CopyFrom(d) => format!("from: {d}"),
        Msg::CopyTo(d) => format!("to: {d}"),
        Msg::CopyHeader => {
            "table / source rows / source SHA-256 / destination rows / destination SHA-256".into()
        }
        Msg::CopyDiffers => "  ≠ differs".into(),
        Msg::CopyMatch { n, secs } => format!("all {n} tables match ({secs:.1} s)"),
        Msg::SameDatabase => "--from and --to are the same database".into(),
        Msg::Copying { from, to } => format!("copying {from} to {to} (nothing was written)"),
        Msg::TablesDiffer(t) => format!(
            "tables differ after the copy: {t}. The destination holds rows the source lacks (copy again with --replace to empty it first), or the source changed during the copy."
        ),
        Msg::Candidates(c) => c.into(),
        Msg::NamedArea { name, adcode } => format!("{name} ({adcode})"),
        Msg::DefaultTokenName { role, districts } => match role {
            "admin" => "admin".into(),
            _ => format!("officer {districts}"),
        },
    }
}

/// A reason worded by the library (an [`Issue`]'s, a vocabulary's error), in the language
/// in force.
pub fn reason(r: &str) -> String {
    match lang::current() {
        Lang::Zh => reason_zh(r).unwrap_or_else(|| r.to_string()),
        Lang::En => r.to_string(),
    }
}

/// One import issue, as `nuanxin import` lists it: `  错误：第 12 行，字段 lon：…` or
/// `  error: line 12, field lon: …`.
pub fn issue(i: &Issue) -> String {
    match lang::current() {
        Lang::Zh => {
            let tag = match i.severity {
                Severity::Error => "错误",
                Severity::Skipped => "已跳过",
                Severity::Warning => "警告",
            };
            let reason = reason_zh(&i.reason).unwrap_or_else(|| i.reason.clone());
            match &i.field {
                Some(f) => format!("{tag}：{}，字段 {f}：{reason}", location_zh(i.location)),
                None => format!("{tag}：{}：{reason}", location_zh(i.location)),
            }
        }
        Lang::En => {
            let tag = match i.severity {
                Severity::Error => "error",
                Severity::Skipped => "skipped",
                Severity::Warning => "warning",
            };
            format!("{tag}: {i}")
        }
    }
}

/// An import error, in the language in force (the issues of a rejected file are listed
/// separately with [`issue`]).
pub fn import_error(e: &ImportError) -> String {
    // a file that cannot be read: the reason in words, the file once (`FileError`)
    let unreadable = |path: &str, source: &std::io::Error| {
        let io = std::io::Error::new(source.kind(), source.to_string());
        file_error(&nuanxin::error::FileError::new(
            path.to_string(),
            nuanxin::error::FileOp::Read,
            io,
        ))
    };
    match lang::current() {
        // the database's error (the source) is part of the message
        Lang::En => match e {
            ImportError::Io { path, source } => unreadable(path, source),
            ImportError::Store(store) => format!("{e}: {}", nuanxin::error::report(store)),
            _ => e.to_string(),
        },
        Lang::Zh => match e {
            ImportError::Io { path, source } => unreadable(path, source),
            ImportError::UnknownFormat { path } => format!(
                "无法判断 {path} 的格式：请使用 .geojson/.json、.csv 或 .xlsx 文件"
            ),
            ImportError::Format { location, reason }
            | ImportError::TooLarge { location, reason } => format!(
                "{}：{}",
                location_zh(*location),
                reason_zh(reason).unwrap_or_else(|| reason.clone())
            ),
            ImportError::Store(store) => format!(
                "保存导入的服务点失败，未导入任何记录：{}",
                nuanxin::error::report(store)
            ),
            ImportError::Rejected {
                errors,
                invalid_records,
                records,
                ..
            } => format!(
                "导入被拒绝：{records} 条记录中有 {invalid_records} 条有误（共 {errors} 个错误），未导入任何记录（请改正后重试，或加 --skip-invalid 只导入有效记录）"
            ),
        },
    }
}

/// A file that cannot be read or written, in the language in force: the file and the
/// reason once, Chinese then English (`无法读取 x.pbf：文件不存在 (cannot read: no such
/// file)`), or English alone (`cannot read x.pbf: no such file`).
pub fn file_error(e: &nuanxin::error::FileError) -> String {
    match lang::current() {
        Lang::Zh => e.to_string(),
        Lang::En => e.en(),
    }
}

/// What is wrong with the file `path`, named once: `{path}：{zh} ({en})` by default
/// (officials read the Chinese; the English is for whoever they forward it to),
/// `{path}: {en}` with `--lang en`.
pub fn about_file(path: &str, zh: &str, en: &str) -> String {
    match lang::current() {
        Lang::Zh => format!("{path}：{zh} ({en})"),
        Lang::En => format!("{path}: {en}"),
    }
}

/// A location in the input, in Chinese: `第 12 行`, `要素 features[3]`, `文件`.
pub fn location_zh(l: Location) -> String {
    match l {
        Location::File => "文件".into(),
        Location::Line(n) => format!("第 {n} 行"),
        Location::Row(n) => format!("第 {n} 行"),
        Location::Feature(n) => format!("要素 features[{n}]"),
    }
}

/// The library's reason templates (`{}`: a value, in order) and their Chinese (`{0}`,
/// `{1}` …: the values by position). Values that are themselves English words the library
/// chose (a location, a vocabulary's name) are translated by [`value_zh`].
pub const REASONS: &[(&str, &str)] = &[
    ("missing", "未填写"),
    ("`{}` is not a number", "`{0}` 不是数字"),
    ("`{}` is not a finite number", "`{0}` 不是有限的数"),
    ("expected a number, got `{}`", "应为数字，实际是 `{0}`"),
    (
        "`{}` uses full-width (全角) characters; type `{}`",
        "`{0}` 含全角字符，请改用半角：`{1}`",
    ),
    (
        "`{}` is in degrees, minutes and seconds; give decimal degrees (112°58′48″ = 112 + 58/60 + 48/3600 = 112.98)",
        "`{0}` 是度分秒格式，请填写十进制的度数（112°58′48″ = 112 + 58/60 + 48/3600 = 112.98）",
    ),
    (
        "`{}` uses a comma as the decimal separator; write `{}`",
        "`{0}` 用逗号作小数点，请写成 `{1}`",
    ),
    ("unknown {} `{}`; valid: {}", "未知的{0} `{1}`；可填：{2}"),
    // Rust's number parsers (`f64::from_str`, `usize::from_str`), as clap passes them on.
    ("invalid float literal", "不是数字"),
    ("invalid digit found in string", "不是非负整数"),
    ("cannot parse float from empty string", "未填写数字"),
    ("cannot parse integer from empty string", "未填写数字"),
    ("number too large to fit in target type", "数字太大"),
    (
        "`{}` is not LON,LAT (two numbers and one comma)",
        "`{0}` 不是“经度,纬度”（两个数字，中间一个逗号）",
    ),
    ("`{}` is not two numbers LON,LAT", "`{0}` 不是两个数字“经度,纬度”"),
    (
        "`{}` is not YYYY-MM-DDTHH:MM",
        "`{0}` 不是“年-月-日T时:分”（YYYY-MM-DDTHH:MM，如 2026-12-01T08:00）",
    ),
    (
        "missing; add a 类型/kind column or give a default kind (--kind)",
        "未填写；请添加“类型”列，或用 --kind 指定默认类型",
    ),
    (
        "`{}` cannot be read as opening hours. Write the days, a space, then the hours (24-hour clock): `Mo-Fr 08:00-20:00`; several rules separated by `;`: `Mo-Fr 08:00-20:00; Sa 09:00-12:00`; always open: `24/7`. Days are Mo Tu We Th Fr Sa Su. 开放时间写法：星期 + 空格 + 时间，如 `Mo-Fr 08:00-20:00`；全天开放写 `24/7`",
        "`{0}` 无法识别为开放时间。写法：星期 + 空格 + 时间（24 小时制），如 `Mo-Fr 08:00-20:00` 表示周一至周五 8 点到 20 点；几条规则之间用 `;` 分隔，如 `Mo-Fr 08:00-20:00; Sa 09:00-12:00`；全天开放写 `24/7`。星期一至星期日写作 Mo Tu We Th Fr Sa Su",
    ),
    (
        "`{}` is not a date-time (RFC 3339, e.g. 2026-11-29T08:00:00+08:00)",
        "`{0}` 不是有效的日期时间（RFC 3339 格式，如 2026-11-29T08:00:00+08:00）",
    ),
    ("`{}` is not true/false (是/否)", "`{0}` 不是“是”或“否”（true/false）"),
    (
        "`{}` is not a 6-digit GB/T 2260 code",
        "`{0}` 不是 6 位行政区划代码（GB/T 2260）",
    ),
    (
        "adcode `{}` is not a 6-digit GB/T 2260 code",
        "行政区划代码 `{0}` 不是 6 位数字（GB/T 2260）",
    ),
    (
        "adcode {} given, but the position lies in {} {} (kept as given)",
        "填写的行政区划代码是 {0}，但位置在 {1} {2}（按填写的保留）",
    ),
    (
        "outside the service area ({}): the position lies in {}",
        "不在服务区域（{0}）内：位置在 {1}",
    ),
    ("duplicate id `{}` (first at {})", "编号 `{0}` 重复（首次出现在{1}）"),
    (
        "{} = {}, {} = {}: longitude and latitude look swapped ({}); put the longitude (东经, about 108–114 in Hunan) in `{}`",
        "{0} = {1}，{2} = {3}：经度和纬度似乎填反了（{4}）；请把经度（东经，湖南约 108–114）填在 `{5}`",
    ),
    ("{} is not a finite number", "{0} 不是有限的数"),
    (
        "lon = {} is outside [-180, 180] degrees",
        "经度 lon = {0} 超出 [-180, 180] 度",
    ),
    (
        "lat = {} is outside [-90, 90] degrees; longitude and latitude look swapped (did you mean lon = {}, lat = {}?)",
        "纬度 lat = {0} 超出 [-90, 90] 度；经纬度似乎填反了（是否应为 lon = {1}，lat = {2}？）",
    ),
    (
        "lat = {} is outside [-90, 90] degrees",
        "纬度 lat = {0} 超出 [-90, 90] 度",
    ),
    (
        "only {} decimal place(s): the position is uncertain by about {} m; copy the full coordinate (6 decimals ≈ 0.1 m)",
        "只有 {0} 位小数：位置误差约 {1} 米；请复制完整的坐标（6 位小数约 0.1 米）",
    ),
    (
        "position outside mainland China: {} equals WGS-84 there, so it is not shifted (reported once per file)",
        "位置在中国大陆以外：那里 {0} 与 WGS-84 相同，因此不作偏移（每个文件只提示一次）",
    ),
    ("field `{}` must not be empty", "字段 `{0}` 不能为空"),
    (
        "`{}` has {} characters; at most {} are accepted",
        "`{0}` 有 {1} 个字符，最多只接受 {2} 个",
    ),
    (
        "expected GeoJSON Polygon coordinates (an array of rings)",
        "应为 GeoJSON 多边形坐标（由环组成的数组）",
    ),
    ("ring {} is not an array", "第 {0} 个环不是数组"),
    (
        "ring {} has {} positions; a closed ring needs at least 4",
        "第 {0} 个环只有 {1} 个坐标；闭合的环至少需要 4 个",
    ),
    (
        "ring {} position {} is not [lon, lat]",
        "第 {0} 个环的第 {1} 个坐标不是 [经度, 纬度]",
    ),
    (
        "ring {} is not closed (first position ≠ last)",
        "第 {0} 个环未闭合（首个坐标 ≠ 末个坐标）",
    ),
    ("ring {} position {}: {}", "第 {0} 个环的第 {1} 个坐标：{2}"),
    (
        "more than {} records, the limit for one file; split the file",
        "记录超过 {0} 条，这是单个文件的上限；请拆分文件",
    ),
    ("the file holds no records", "文件中没有任何记录"),
    ("invalid {} byte sequence", "无效的 {0} 字节序列（文字编码有误）"),
    (
        "no longitude/latitude column names here; taken as a title {} and ignored",
        "这里没有经度/纬度列名；视为标题行，已忽略",
    ),
    (
        "columns {} (`{}`) and {} (`{}`) both mean field {}",
        "第 {0} 列（`{1}`）和第 {2} 列（`{3}`）都表示字段 {4}",
    ),
    (
        "column {} `{}` is not a known field; ignored",
        "第 {0} 列 `{1}` 不是可识别的字段，已忽略",
    ),
    (
        "no {} column; the header must name it `{}` or `{}` (found: {})",
        "缺少 {0} 列；表头须写作 `{1}` 或 `{2}`（现有：{3}）",
    ),
    (
        "the record is {} bytes long, more than the limit of {}; check for a missing closing quote (\")",
        "这条记录长 {0} 字节，超过上限 {1}；请检查是否缺少右引号（\"）",
    ),
    (
        "{} cells, more than the limit of {} columns",
        "有 {0} 个单元格，超过 {1} 列的上限",
    ),
    ("malformed CSV: {}", "CSV 格式有误：{0}"),
    (
        "{} cells but the header has {} columns (本行单元格比表头多); a comma used as {}",
        "有 {0} 个单元格，而表头只有 {1} 列（本行单元格比表头多）；小数点若写成逗号，或文字中含逗号而未加引号，后面的字段都会错位：小数请用点号，含逗号的文字请加引号",
    ),
    ("not a readable workbook: {}", "无法读取该工作簿：{0}"),
    (
        "the workbook has {} parts, more than the limit of {}; save it again from Excel as a plain .xlsx",
        "工作簿含 {0} 个部件，超过上限 {1}；请在 Excel 中另存为普通 .xlsx 文件",
    ),
    (
        "part `{}` of the workbook decompresses to more than {} MiB, the {}",
        "工作簿的部件 `{0}` 解压后超过 {1} MiB 的上限；请删除未用的行和列，或拆分文件",
    ),
    (
        "the workbook decompresses to more than {} MiB, the limit; split the file",
        "工作簿解压后超过 {0} MiB 的上限；请拆分文件",
    ),
    (
        "{} {}: column {} ({}) is past the last column read, {} ({}); delete the rows and columns after your data (in Excel: select them, right-click, 删除) and save again",
        "{0} {1}：第 {2} 列（{3}）超出读取范围的最后一列 {4}（{5}）；请删除数据之后的行和列（在 Excel 中选中，右键，删除）后重新保存",
    ),
    (
        "{} {}: row {} is past the last row read ({}); delete the rows and columns after your data (in Excel: select them, right-click, 删除) and save again",
        "{0} {1}：第 {2} 行超出读取范围的最后一行（{3}）；请删除数据之后的行和列（在 Excel 中选中，右键，删除）后重新保存",
    ),
    (
        "the first worksheet has more than {} non-empty cells, the limit; split the file",
        "第一个工作表的非空单元格超过 {0} 个的上限；请拆分文件",
    ),
    ("first worksheet: {}", "第一个工作表：{0}"),
    ("the workbook has no worksheet", "工作簿中没有工作表"),
    (
        "the phone number is stored as a number, so a leading 0 may have been lost; format the column as text (文本) in Excel",
        "电话号码以数字格式保存，开头的 0 可能已丢失；请在 Excel 中把该列设为“文本”格式",
    ),
    (
        "the file is {} bytes, more than the limit of {} bytes ({} MiB); split it into smaller files",
        "文件大小 {0} 字节，超过 {1} 字节（{2} MiB）的上限；请拆分成较小的文件",
    ),
    ("GeoJSON must be UTF-8: {}", "GeoJSON 文件必须是 UTF-8 编码：{0}"),
    (
        "arrays and objects nested more than {} deep, the limit; a FeatureCollection of Points needs 5",
        "数组和对象嵌套超过 {0} 层的上限；点要素集合只需 5 层",
    ),
    ("not valid JSON (line {}, column {}): {}", "不是有效的 JSON（第 {0} 行，第 {1} 列）：{2}"),
    (
        "FeatureCollection without a `features` array",
        "FeatureCollection 缺少 `features` 数组",
    ),
    (
        "expected a GeoJSON FeatureCollection, got type {}",
        "应为 GeoJSON FeatureCollection，实际类型是 {0}",
    ),
    ("not a GeoJSON Feature", "不是 GeoJSON 要素（Feature）"),
    (
        "skipped: geometry is null (no position; not placed at 0,0)",
        "已跳过：geometry 为 null（没有位置，不会放在 0,0）",
    ),
    (
        "skipped: properties is null (no name or kind)",
        "已跳过：properties 为 null（没有名称和类型）",
    ),
    ("properties must be an object", "properties 必须是对象"),
    (
        "Point coordinates must be [lon, lat] or [lon, lat, elevation]",
        "点的坐标必须是 [经度, 纬度] 或 [经度, 纬度, 高程]",
    ),
    (
        "MultiPoint coordinates must be a non-empty array of [lon, lat] positions",
        "多点的坐标必须是由 [经度, 纬度] 组成的非空数组",
    ),
    (
        "MultiPoint position {} must be [lon, lat] or [lon, lat, elevation]",
        "多点的第 {0} 个坐标必须是 [经度, 纬度] 或 [经度, 纬度, 高程]",
    ),
    (
        "geometry type `{}` is not supported; a service point is a Point (or a MultiPoint of several)",
        "不支持几何类型 `{0}`；服务点应为点（Point），几个点可用多点（MultiPoint）",
    ),
    ("entrance must be [lon, lat]", "entrance（入口）必须是 [经度, 纬度]"),
    (
        "feature id must be a string or a number (RFC 7946 §3.2)",
        "要素的 id 必须是字符串或数字（RFC 7946 §3.2）",
    ),
    (
        "crs `{}` (CGCS2000) read as WGS-84: the two datums agree to a few centimetres (CGCS2000 与 WGS-84 相差仅厘米级，按 WGS-84 读取)",
        "坐标系 `{0}`（CGCS2000）按 WGS-84 读取：两者相差仅厘米级",
    ),
    (
        "crs `{}` (Web Mercator, metres): positions converted to degrees",
        "坐标系 `{0}`（Web 墨卡托，单位米）：坐标已换算为度",
    ),
    // The errors of a coverage analysis (nuanxin_core::coverage::CoverageError, hours).
    (
        "bbox must be four comma-separated numbers west,south,east,north (or six with heights: west,south,min_height,east,north,max_height); got `{}`",
        "范围应为逗号分隔的四个数 西,南,东,北（或带高度的六个数：西,南,最低高度,东,北,最高高度）；现在是 `{0}`",
    ),
    ("resolution {} is out of range 0..=15", "H3 分辨率 {0} 超出 0–15 的范围"),
    (
        "the area needs about {} cells at resolution {}, more than the limit of {}; use a coarser resolution or a smaller area",
        "该区域在分辨率 {1} 下约需 {0} 个格子，超过 {2} 个的上限；请用更粗的分辨率或更小的区域",
    ),
    (
        "proposals over {} candidates reaching about {} cells each are too many to evaluate; use a coarser resolution, a shorter time or a candidate list",
        "{0} 个候选点、每个约覆盖 {1} 个格子，计算量过大；请用更粗的分辨率、更短的时间或给出候选点列表",
    ),
    (
        "时间 `{}` 无法识别，应为如 2026-12-01T02:00+08:00（北京时间）; `{}` is not a time like 2026-12-01T02:00+08:00 (no offset: Beijing time)",
        "时间 `{0}` 无法识别，应为如 2026-12-01T02:00+08:00（北京时间）",
    ),
    // The warnings of a coverage analysis (nuanxin_core::coverage::analysis).
    (
        "the area holds no H3 cell centre at resolution {}; use a finer resolution",
        "区域内没有分辨率为 {0} 的 H3 格子中心；请用更细的分辨率",
    ),
    (
        "{} stations are farther than {} m from a road and count with straight-line circles",
        "{0} 个服务点离道路超过 {1} 米，按直线服务圈计算",
    ),
    (
        "no station of the chosen kinds reaches the area",
        "没有所选类型的服务点能到达该区域",
    ),
    (
        "only {} of {} proposals add coverage; the other candidates add nothing",
        "{1} 个建议站点中只有 {0} 个能增加覆盖；其余候选点不增加覆盖",
    ),
    (
        "{} of {} proposals are farther than {} m from a road: their reach is a straight-line circle, not along roads (\"network\": false)",
        "{1} 个建议站点中有 {0} 个离道路超过 {2} 米：其服务范围按直线圆计算，而不是沿道路（\"network\": false）",
    ),
    (
        "no district with adcode `{}` (the shipped boundaries cover Hunan's cities and counties, e.g. 430100 长沙市, 430102 芙蓉区)",
        "没有行政区划代码为 `{0}` 的区县（内置边界包含湖南省的城市和区县，如 430100 长沙市、430102 芙蓉区）",
    ),
    // coverage input files (`--geometry`, `--candidates`; nuanxin_core::coverage::input)
    ("must be a GeoJSON FeatureCollection", "须为 GeoJSON FeatureCollection"),
    ("FeatureCollection without `features`", "FeatureCollection 缺少 `features`"),
    ("must be a GeoJSON Point feature", "须为 GeoJSON 点要素（Point）"),
    ("coordinates must be [lon, lat]", "坐标须为 [经度, 纬度]"),
    (
        "geometry must be a GeoJSON Polygon or MultiPolygon",
        "须为 GeoJSON 面（Polygon 或 MultiPolygon）",
    ),
    ("not GeoJSON: {}", "不是 GeoJSON：{0}"),
    (
        "polygon {}, ring {}: a linear ring needs at least 4 positions, the last equal to the first (RFC 7946 §3.1.6); got {} positions, not closed",
        "多边形 {0} 的环 {1}：环至少需要 4 个点且首尾相同（RFC 7946 §3.1.6）；实际 {2} 个点，未闭合",
    ),
    (
        "polygon {}, ring {}: a linear ring needs at least 4 positions, the last equal to the first (RFC 7946 §3.1.6); got {} positions",
        "多边形 {0} 的环 {1}：环至少需要 4 个点且首尾相同（RFC 7946 §3.1.6）；实际 {2} 个点",
    ),
    (
        "weight must be a number from 0 to 1e12; got {}",
        "权重须为 0 到 10¹² 之间的数，实际是 {0}",
    ),
];

/// English words the library puts inside its reasons, and their Chinese.
const VALUES: &[(&str, &str)] = &[
    ("kind", "类型"),
    ("amenity", "设施"),
    ("access method", "进入方式"),
    ("no known district", "已知区县之外"),
    ("the latitude is beyond ±90°", "纬度超出 ±90°"),
    (
        "as given the point is outside China, swapped it is inside",
        "按原样在中国境外，互换后在境内",
    ),
    ("(none)", "（无）"),
    ("role", "角色"),
    ("crs", "坐标系"),
    ("cell", "单元格"),
    ("dimension", "表格范围"),
    ("line", "行"),
    ("row", "行"),
];

/// A value captured from a reason, in Chinese: a location (`line 3` → `第 3 行`), a word of
/// [`VALUES`], or the value itself.
fn value_zh(v: &str) -> String {
    if let Some((_, zh)) = VALUES.iter().find(|(en, _)| *en == v) {
        return (*zh).to_string();
    }
    let num = |s: &str| s.parse::<u64>().ok();
    if let Some(n) = v.strip_prefix("line ").and_then(num) {
        return location_zh(Location::Line(n));
    }
    if let Some(n) = v.strip_prefix("row ").and_then(num) {
        return format!("第 {n} 行");
    }
    if let Some(rest) = v.strip_prefix("feature ") {
        if let Some(n) = rest
            .split_once(' ')
            .and_then(|(n, _)| n.parse::<usize>().ok())
        {
            return location_zh(Location::Feature(n));
        }
    }
    v.to_string()
}

/// The Chinese of one of the library's reasons, or `None` when [`REASONS`] has no template
/// for it.
pub fn reason_zh(reason: &str) -> Option<String> {
    REASONS.iter().find_map(|(en, zh)| {
        let values = match_template(en, reason)?;
        let mut out = (*zh).to_string();
        // Highest position first, so `{1}` is not taken for part of `{10}`.
        for (i, v) in values.iter().enumerate().rev() {
            out = out.replace(&format!("{{{i}}}"), &value_zh(v));
        }
        Some(out)
    })
}

/// The values of `{}` holes when `text` matches `template` as a whole; each hole takes at
/// least one character, the shortest that lets the rest match.
fn match_template<'t>(template: &str, text: &'t str) -> Option<Vec<&'t str>> {
    let pieces: Vec<&str> = template.split("{}").collect();
    let (first, rest) = pieces.split_first()?;
    let tail = text.strip_prefix(first)?;
    let mut values = Vec::with_capacity(rest.len());
    holes(rest, tail, &mut values).then_some(values)
}

/// Backtracking: `pieces[0]` follows a hole at the start of `text`, and so on.
fn holes<'t>(pieces: &[&str], text: &'t str, values: &mut Vec<&'t str>) -> bool {
    let Some((piece, rest)) = pieces.split_first() else {
        return text.is_empty();
    };
    if rest.is_empty() && piece.is_empty() {
        // The template ends with a hole: it takes the remaining text.
        if text.is_empty() {
            return false;
        }
        values.push(text);
        return true;
    }
    let mut from = text.char_indices().nth(1).map_or(text.len(), |(i, _)| i);
    while from <= text.len() {
        let Some(at) = text[from..].find(piece).map(|i| i + from) else {
            return false;
        };
        values.push(&text[..at]);
        if holes(rest, &text[at + piece.len()..], values) {
            return true;
        }
        values.pop();
        from = at + text[at..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_take_values_in_order() {
        assert_eq!(
            match_template(
                "`{}` uses a comma; write `{}`",
                "`1,5` uses a comma; write `1.5`"
            ),
            Some(vec!["1,5", "1.5"])
        );
        assert_eq!(
            match_template("ring {} is not an array", "ring 2 is closed"),
            None
        );
        assert_eq!(match_template("missing", "missing; add"), None);
        // A hole stretches over text that looks like the next piece.
        assert_eq!(
            match_template("a {} b {}", "a x b y b z"),
            Some(vec!["x", "y b z"])
        );
    }

    #[test]
    fn reasons_are_translated_with_their_values() {
        assert_eq!(
            reason_zh("`112,98` uses a comma as the decimal separator; write `112.98`").as_deref(),
            Some("`112,98` 用逗号作小数点，请写成 `112.98`")
        );
        assert_eq!(
            reason_zh("duplicate id `s1` (first at line 2)").as_deref(),
            Some("编号 `s1` 重复（首次出现在第 2 行）")
        );
        assert_eq!(
            reason_zh("unknown kind `shop`; valid: station, legal_aid").as_deref(),
            Some("未知的类型 `shop`；可填：station, legal_aid")
        );
        assert_eq!(reason_zh("something the table does not know"), None);
    }

    #[test]
    fn chinese_templates_refer_only_to_values_that_exist() {
        for (en, zh) in REASONS {
            let holes = en.matches("{}").count();
            for i in holes..holes + 10 {
                assert!(
                    !zh.contains(&format!("{{{i}}}")),
                    "{en}: the Chinese refers to value {i}, which does not exist"
                );
            }
            assert!(!zh.contains("{}"), "{zh}");
        }
    }

    /// Every reason the importers give for a battery of bad inputs (every check of
    /// `record.rs`, the CSV header checks, GeoJSON structure, the limits, the bad-rows
    /// workbook fixture) has a Chinese template.
    #[test]
    fn every_reason_of_the_importers_is_translated() {
        use nuanxin::crs::Crs;
        use nuanxin::import::{csv, geojson, import_bytes, Format, ImportOptions};
        let opts = ImportOptions {
            service_area: vec!["430102".into()],
            ..ImportOptions::default()
        };
        let gcj = ImportOptions {
            crs: Crs::Gcj02,
            ..ImportOptions::default()
        };
        let mut reasons: Vec<String> = Vec::new();
        let mut take = |r: Result<nuanxin::import::ImportReport, ImportError>| match r {
            Ok(rep) => reasons.extend(rep.issues.into_iter().map(|i| i.reason)),
            Err(ImportError::Rejected { issues, .. }) => {
                reasons.extend(issues.into_iter().map(|i| i.reason))
            }
            Err(ImportError::Format { reason, .. } | ImportError::TooLarge { reason, .. }) => {
                reasons.push(reason)
            }
            Err(e) => reasons.push(e.to_string()),
        };
        let rows =
            "名称,类型,经度,纬度,开放时间,设施,进入方式,行政区划代码,编号,更新时间,演示,电话\n\
            站1,驿站,\"112,98\",28.19,Mo-Fr 8-20,饮水,刷脸,4301,s1,yesterday,maybe,\n\
            站2,商店,１１２.９８,28.19,24/7,喷泉,飞行,430102,s1,,,\n\
            站3,驿站,28.19,112.98,,,,,,,,\n\
            站4,驿站,112.9,28.1,,,,430103,,,,\n\
            ,驿站,abc,,,,,,,,,\n\
            站6,驿站,112°58′48″,NaN,,,,,,,,\n\
            站7,驿站,112.981234,95.5,,,,,,,,\n\
            站8,驿站,-0.1278,51.5074,,,,,,,,\n\
            站9,驿站,113.65,28.25,,,,,,,,\n\
            站10,驿站,112.981234,28.191234,,,,,,,,\n";
        take(csv::import_csv_str(rows, &opts));
        take(csv::import_csv_str(
            "名称,类型,经度,纬度\n站,,-0.1278,51.5074\n",
            &gcj,
        ));
        take(csv::import_csv_str(
            "暖新驿站名录\n名称,类型,经度,纬度,备注\n站,驿站,112.981234,28.191234,x,多余\n",
            &opts,
        ));
        take(csv::import_csv_str("名称,经度,lon,纬度\n", &opts));
        take(csv::import_csv_str(
            "名称,类型,纬度\n站,驿站,28.19\n",
            &opts,
        ));
        take(csv::import_csv_str("名称,类型,经度,纬度\n", &opts));
        take(csv::import_csv_str(
            &format!("名称,类型,经度,纬度\n\"{}\n", "x".repeat(70_000)),
            &opts,
        ));
        take(csv::import_csv_str(
            "名称,类型,经度,纬度\na,驿站,112.98,28.19\nb,驿站,112.99,28.19\n",
            &ImportOptions {
                max_records: Some(1),
                ..ImportOptions::default()
            },
        ));
        take(import_bytes(
            b"0123456789",
            Format::Csv,
            &ImportOptions {
                max_file_bytes: Some(4),
                ..ImportOptions::default()
            },
        ));
        take(import_bytes(b"\xff\xfe{", Format::GeoJson, &opts));
        let features = r#"{"type":"FeatureCollection","features":[
            {"type":"Feature","geometry":null,"properties":{"name":"a","kind":"station"}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.98,28.19]},"properties":null},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.98,28.19]},"properties":3},
            {"type":"Thing"},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.98]},"properties":{"name":"b","kind":"station"}},
            {"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[]},"properties":{"name":"c","kind":"station"}},
            {"type":"Feature","geometry":{"type":"MultiPoint","coordinates":[[112.98]]},"properties":{"name":"c","kind":"station"}},
            {"type":"Feature","geometry":{"type":"LineString","coordinates":[[112.98,28.19],[112.99,28.19]]},"properties":{"name":"d","kind":"station"}},
            {"type":"Feature","id":[1],"geometry":{"type":"Point","coordinates":[112.98,28.19]},"properties":{"name":"e","kind":"station","entrance":"x"}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.981234,28.191234]},"properties":{"name":"f","kind":"station","outline":3}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.981234,28.191234]},"properties":{"name":"g","kind":"station","outline":[3]}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.981234,28.191234]},"properties":{"name":"h","kind":"station","outline":[[[112.98,28.19],[112.99,28.19],[112.98,28.19]]]}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.981234,28.191234]},"properties":{"name":"i","kind":"station","outline":[[[112.98,28.19],[112.99,28.19],[112.99,28.2],[112.98,28.2]]]}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.981234,28.191234]},"properties":{"name":"j","kind":"station","outline":[[[112.98,28.19],3,[112.99,28.2],[112.98,28.19]]]}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.981234,28.191234]},"properties":{"name":"k","kind":"station","outline":[[[112.98,28.19],[500,28.19],[112.99,28.2],[112.98,28.19]]]}},
            {"type":"Feature","geometry":{"type":"Point","coordinates":[112.981234,28.191234]},"properties":{"name":"","kind":"station"}}
        ]}"#;
        take(geojson::import_geojson_str(features, &opts));
        take(geojson::import_geojson_str(
            r#"{"type":"FeatureCollection"}"#,
            &opts,
        ));
        take(geojson::import_geojson_str(r#"{"type":"Polygon"}"#, &opts));
        take(geojson::import_geojson_str(r#"{"type":"#, &opts));
        take(geojson::import_geojson_str(&"[".repeat(100), &opts));
        take(geojson::import_geojson_str(
            r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:4490"}},"features":[]}"#,
            &opts,
        ));
        take(geojson::import_geojson_str(
            r#"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"EPSG:3857"}},"features":[]}"#,
            &opts,
        ));
        let fixture = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../tests/fixtures/bad_rows.xlsx"
        );
        take(nuanxin::import::import_file(
            std::path::Path::new(fixture),
            &opts,
        ));
        take(import_bytes(b"PK not a zip", Format::Xlsx, &opts));

        assert!(reasons.len() > 40, "{reasons:#?}");
        let untranslated: Vec<&String> =
            reasons.iter().filter(|r| reason_zh(r).is_none()).collect();
        assert!(
            untranslated.is_empty(),
            "reasons without a Chinese template: {untranslated:#?}"
        );
    }
}
