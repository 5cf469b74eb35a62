//! clap in the language of the command line (issue 15): `--help` with Chinese headings
//! (用法, 命令, 选项, 参数), Chinese descriptions of the commands and of the common arguments,
//! and clap's own argument errors (unknown argument, missing or invalid value, missing
//! subcommand, …) rendered through the message catalogue ([`super::messages`]) with the
//! argument and value named, exit code 2 as clap does. With `--lang en` / `NUANXIN_LANG=en`
//! clap's own English help and errors are used unchanged.

use super::lang::Lang;
use super::messages::{text, Msg};
use clap::error::{ContextKind, ContextValue, ErrorKind};
use clap::{Arg, ArgAction, Command};

/// The help layout in Chinese: clap's `{usage-heading}` is fixed English, so the heading is
/// written here.
const TEMPLATE_ZH: &str = "{about-with-newline}\n用法：{usage}\n\n{all-args}{after-help}";

/// Chinese descriptions of the commands, by command path (`nuanxin`, `roads import`; the
/// English ones are the doc comments).
const ABOUT_ZH: &[(&str, &str)] = &[
    (
        "nuanxin",
        "暖新地图：为骑手、司机等新就业群体标注服务点、收集建议、分析覆盖",
    ),
    (
        "serve",
        "运行 HTTP 服务（API、OGC API – Features、Open311 和网页地图）",
    ),
    ("import", "检查并导入服务点文件（GeoJSON、CSV 或 XLSX）"),
    ("nearest", "查找离某个位置最近的服务点"),
    (
        "coverage",
        "分析一个区域的服务覆盖：覆盖率、空白区和新站点建议",
    ),
    ("roads", "从 OpenStreetMap 数据生成路网，用于沿道路计算时间"),
    (
        "roads import",
        "导入 OpenStreetMap PBF 数据（例如 Geofabrik 的 hunan-latest.osm.pbf）作为数据库的路网；\
         路网保存在数据库旁的 `<db>.roads`，街道名（用于地点搜索）保存在 `<db>.roads.streets`",
    ),
    ("roads info", "显示数据库路网的统计数字"),
    (
        "demo",
        "重新生成 data/demo/ 中的演示数据（固定随机种子，可复现）",
    ),
    ("admin", "管理：办事员令牌"),
    ("admin create-token", "创建令牌并显示（只显示这一次）"),
    ("admin list-tokens", "列出令牌（不含密钥）"),
    ("admin revoke-token", "按编号吊销令牌"),
    ("db", "数据库：在 SQLite 与 PostgreSQL 之间复制全部数据"),
    (
        "db copy",
        "把一个数据库的全部数据复制到另一个（SQLite 文件 ⇄ PostgreSQL）",
    ),
    (
        "db checksum",
        "显示每张表的行数和校验和（与 copy 显示的相同）",
    ),
];

/// Chinese help of the arguments, by `command path/argument id` for an argument whose meaning
/// depends on the command, else by argument id alone (looked up in that order).
const ARG_ZH: &[(&str, &str)] = &[
    (
        "lang",
        "消息语言：zh（简体中文，默认）或 en（英文）；也可用环境变量 NUANXIN_LANG",
    ),
    (
        "db",
        "数据库：SQLite 文件或 postgres://用户[:密码]@主机[:端口]/库名",
    ),
    (
        "nearest/db",
        "使用此数据库中存储的服务点（与 `nuanxin serve --db` 提供的相同，例如在 `nuanxin import --db` 之后）",
    ),
    (
        "coverage/db",
        "使用此数据库中存储的服务点（与 `nuanxin serve --db` 提供的相同）",
    ),
    (
        "roads import/db",
        "路网须覆盖其服务点的数据库（路网写入 `<db>.roads`；导入失败时保留原来的路网）",
    ),
    (
        "config",
        "配置文件（TOML）；默认为当前目录下的 nuanxin.toml（如果存在）",
    ),
    (
        "listen",
        "监听地址，例如 127.0.0.1:8080（端口 0 表示自动选择空闲端口）",
    ),
    ("data", "服务点文件（GeoJSON、CSV、XLSX）；默认使用内置演示数据"),
    ("serve/data", "用于给空数据库填充服务点的文件（可重复）"),
    (
        "data_crs",
        "--data 文件的坐标系：wgs84、gcj02（高德）或 bd09（百度）",
    ),
    (
        "crs",
        "文件的坐标系：wgs84（GPS、OpenStreetMap）、gcj02（高德、腾讯、微信）或 bd09（百度）",
    ),
    (
        "nearest/crs",
        "--lon/--lat 或 --at 的坐标系：wgs84、gcj02（从高德复制的点）或 bd09（百度）",
    ),
    (
        "coverage/crs",
        "--data 文件的坐标系：wgs84、gcj02（高德）或 bd09（百度）",
    ),
    (
        "no_demo",
        "不提供演示数据：空数据库不填充内置演示点，已存的演示点也不提供",
    ),
    ("replace", "用文件中的服务点替换数据库中同类的全部服务点"),
    (
        "db copy/replace",
        "先清空目标库的每张表（在同一事务中），例如服务启动时填充的演示点",
    ),
    (
        "at",
        "查询位置 `经度,纬度`，即高德坐标拾取器复制的格式（例如 `112.976341,28.195346` 配合 `--crs gcj02`）",
    ),
    (
        "coverage/at",
        "只计此时营业的站点：带时区的 RFC 3339（2026-12-01T02:00+08:00）或不带时区的北京时间（2026-12-01T02:00）",
    ),
    ("k", "返回的服务点个数"),
    (
        "kind",
        "只要此类型（可重复）：station、legal_aid、rider_friendly_community、collection_point，或中文名称",
    ),
    (
        "import/kind",
        "没有“类型/kind”值的行所用的类型：station、legal_aid、rider_friendly_community、collection_point（或中文名称）",
    ),
    ("kinds", "计入的站点类型（可重复）；默认全部类型"),
    (
        "mode",
        "出行方式：walk（步行，5 km/h）或 ebike（电动自行车，15 km/h）；速度取自 nuanxin.toml 的 speeds",
    ),
    (
        "nearest/mode",
        "`--by time` 的出行方式：walk（步行）或 ebike（电动自行车）",
    ),
    ("minutes", "出行时间（分钟）"),
    (
        "adcode",
        "行政区划代码（GB/T 2260），例如 430100（长沙市）或 430102（芙蓉区）",
    ),
    (
        "resolution",
        "H3 网格分辨率 0..=15（9：每格 0.105 km²，边长约 201 m）",
    ),
    ("propose", "建议新增站点的个数（贪心最大覆盖）"),
    (
        "gaps",
        "把空白区多边形（GeoJSON FeatureCollection）写入此文件",
    ),
    ("timings", "在标准错误输出中显示各步骤所用的秒数"),
    (
        "cors_origins",
        "允许跨域访问（CORS）的来源（可重复；`*` 表示任意来源）",
    ),
    (
        "max_records",
        "一个文件最多的记录数（默认 200000）。GeoJSON 逐条读取，内存随接受的点数增长（每点约 0.5 KB），与文件大小无关",
    ),
    ("max_file_mib", "文件大小上限，单位 MiB（默认 64）"),
    ("json", "以 JSON 输出"),
    (
        "import/json",
        "在标准输出以 JSON 打印报告（records、imported，以及带 line/row/feature、field、severity、reason 的 issues）",
    ),
    ("nearest/json", "输出 JSON 而不是表格"),
    ("coverage/json", "以 JSON 输出完整报告而不是表格"),
    ("roads import/json", "以 JSON 输出统计数字"),
    ("roads info/json", "以 JSON 输出统计数字"),
    (
        "serve/roads",
        "把此 OpenStreetMap 数据（.osm.pbf）导入为路网（保存为 `<db>.roads`，与 `nuanxin roads import` 相同），\
         然后运行服务。不加此项时，如有 `<db>.roads` 则加载，否则按直线距离计算",
    ),
    (
        "nearest/roads",
        "`--by time` 使用的路网文件（默认 `<db>.roads`）",
    ),
    (
        "coverage/roads",
        "`--model network` 使用的路网文件（默认 `<db>.roads`）",
    ),
    (
        "import/file",
        "文件：.geojson/.json、.csv（UTF-8、带 BOM 的 UTF-8 或 GBK）或 .xlsx",
    ),
    ("roads import/file", "OpenStreetMap 数据文件（.osm.pbf）"),
    (
        "skip_invalid",
        "只导入有效的行，并列出有问题的行（默认：有问题时整个文件都不导入）",
    ),
    (
        "service_area",
        "服务区域的行政区划代码（市如 430100，区县如 430102）；区域外的点会给出警告。可重复",
    ),
    (
        "import/out",
        "把接受的点（已转换为 WGS-84）写成 GeoJSON 文件",
    ),
    ("demo/out", "GeoJSON 的写入位置"),
    ("lon", "查询位置的经度（度）"),
    ("lat", "查询位置的纬度（度）"),
    (
        "amenity",
        "必须具备的设施（可重复，须全部具备），例如 drinking_water（饮水）、charging（充电）",
    ),
    ("open_now", "只要现在营业的点（北京时间，UTC+8）"),
    (
        "open_at",
        "只要在此当地时间（UTC+8）营业的点，格式 YYYY-MM-DDTHH:MM",
    ),
    (
        "by",
        "排序依据：distance（直线距离）或 time（沿道路的出行时间；需要 --db 的路网：\
         `nuanxin roads import 文件.osm.pbf --db 数据库`，或 --roads）",
    ),
    (
        "nearest/max_snap_m",
        "位置或服务点到道路的最大距离（米）；超过时该结果按直线计算（并标明）",
    ),
    (
        "coverage/max_snap_m",
        "站点或网格中心到道路的最大距离（米，用于 `--model network`）",
    ),
    (
        "roads import/max_snap_m",
        "服务点到道路的最大距离（米）；在此距离内才算被路网覆盖",
    ),
    (
        "route",
        "配合 `--by time --json`：为每个结果附上路线（`[经度, 纬度]` 坐标）",
    ),
    (
        "bbox",
        "区域范围 `西,南,东,北`（度；西大于东表示跨越 180° 经线）",
    ),
    (
        "geometry",
        "区域的 GeoJSON 文件，含 Polygon 或 MultiPolygon（几何、Feature 或 FeatureCollection 的第一个要素），WGS-84",
    ),
    (
        "candidates",
        "候选站址：auto（有需求数据时为有需求的网格，否则为未覆盖网格；默认）、demand（有需求的网格）、\
         uncovered（未覆盖网格）、all（全部网格），或点要素的 GeoJSON 文件（WGS-84，可带 id）",
    ),
    (
        "demand",
        "需求：builtup（建筑量，GHSL 建成区体积，仅城市核心区）、pickups（取餐点，OSM 餐饮和商店兴趣点），\
         或文件：按 --weight-property 加权的 GeoJSON 点要素，或含 经度,纬度,权重 三列的 CSV（WGS-84）",
    ),
    ("weight_property", "需求权重的属性名（缺少时权重为 1）"),
    (
        "proposals_out",
        "把新站点建议写入此文件：.csv（Excel，带 BOM 的 UTF-8，CRLF）或 .geojson；两者都含 WGS-84 和 GCJ-02（高德）坐标",
    ),
    ("max_cells", "需要的网格数超过此值时拒绝分析"),
    (
        "model",
        "可达模型：straight_line（直线：速度 × 分钟的圆）或 network（沿道路的出行时间；需要 --db 的路网，见 `nuanxin roads import`）",
    ),
    (
        "export_mclp",
        "把最大覆盖问题的实例（未覆盖网格、候选站址、覆盖集合）和贪心解写成 JSON 文件，便于与精确求解器比较",
    ),
    ("seed", "ChaCha8 随机数生成器的种子；随附的文件使用默认值"),
    (
        "check",
        "只检查内置数据集是否与重新生成的一致；不写任何文件",
    ),
    (
        "role",
        "officer（办事员：答复所辖区域的建议）或 admin（管理员：全部权限）",
    ),
    (
        "adcodes",
        "办事员负责的行政区划代码（区县或市）；可重复",
    ),
    ("name", "显示名称（办事员可见，并记入审计日志）"),
    ("id", "令牌编号（见 list-tokens）"),
    (
        "from",
        "来源：SQLite 文件（或 `sqlite:文件`）或 `postgres://用户[:密码]@主机[:端口]/库名`",
    ),
    (
        "to",
        "目标，格式同上；PostgreSQL 数据库须已存在（会建表），SQLite 文件不存在时会创建",
    ),
];

/// The Chinese help of argument `id` of the command at `path` ([`ARG_ZH`]).
fn arg_zh(path: &str, id: &str) -> Option<&'static str> {
    let scoped = format!("{path}/{id}");
    ARG_ZH
        .iter()
        .find(|(k, _)| *k == scoped)
        .or_else(|| ARG_ZH.iter().find(|(k, _)| *k == id))
        .map(|(_, help)| *help)
}

/// `cmd` (the whole command tree) for `lang`: unchanged for English; for Chinese every
/// command gets the Chinese layout, headings, description, `-h/--help` (and `-V/--version` at
/// the root) and the Chinese help of the arguments listed in [`ARG_ZH`].
pub fn localize(cmd: Command, lang: Lang) -> Command {
    match lang {
        Lang::En => cmd,
        Lang::Zh => zh_command(cmd, "nuanxin"),
    }
}

/// `cmd`, at command path `path` (`nuanxin` for the root, else `serve`, `roads import`…),
/// and its subcommands in Chinese.
fn zh_command(mut cmd: Command, path: &str) -> Command {
    let root = path == "nuanxin";
    if let Some((_, about)) = ABOUT_ZH.iter().find(|(n, _)| *n == path) {
        cmd = cmd.about(*about).long_about(None::<&str>);
    }
    cmd = cmd
        .help_template(TEMPLATE_ZH)
        .subcommand_help_heading("命令")
        .subcommand_value_name("命令")
        .disable_help_subcommand(true)
        .disable_help_flag(true)
        .arg(
            Arg::new("help")
                .short('h')
                .long("help")
                .action(ArgAction::Help)
                .help("显示帮助")
                .help_heading("选项"),
        );
    if root {
        cmd = cmd.disable_version_flag(true).arg(
            Arg::new("version")
                .short('V')
                .long("version")
                .action(ArgAction::Version)
                .help("显示版本")
                .help_heading("选项"),
        );
    }
    cmd = cmd.mut_args(|a| {
        let heading = if a.is_positional() {
            "参数"
        } else {
            "选项"
        };
        let id = a.get_id().as_str().to_string();
        let a = a.help_heading(heading);
        // The help of `--lang` names its values in Chinese; clap's list is English.
        let a = if id == "lang" {
            a.hide_possible_values(true)
        } else {
            a
        };
        match arg_zh(path, &id) {
            Some(help) => {
                let help = format!("{help}{}", value_notes_zh(&a, &id));
                let a = a.help(help).long_help(None::<&str>).hide_env(true);
                // clap refuses the hide settings on flags (its debug assertions).
                if a.get_action().takes_values() {
                    a.hide_default_value(true).hide_possible_values(true)
                } else {
                    a
                }
            }
            None => a,
        }
    });
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for sub in subs {
        let sub_path = if root {
            sub.clone()
        } else {
            format!("{path} {sub}")
        };
        cmd = cmd.mut_subcommand(sub, |s| zh_command(s, &sub_path));
    }
    cmd
}

/// clap's `[default: …]`, `[possible values: …]` and `[env: …]` notes in Chinese, to follow
/// the Chinese help of `arg` (clap writes them in English only): `（可选值：a、b；默认：a；
/// 环境变量 X）`, or nothing when the argument has none. `--lang` names its values and its
/// environment variable in its help already, so only its default is added.
fn value_notes_zh(arg: &Arg, id: &str) -> String {
    let mut notes = Vec::new();
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_string())
        .collect();
    if !values.is_empty() && id != "lang" && arg.get_action().takes_values() {
        notes.push(format!("可选值：{}", values.join("、")));
    }
    let defaults: Vec<String> = arg
        .get_default_values()
        .iter()
        .map(|v| v.to_string_lossy().into_owned())
        .collect();
    if !defaults.is_empty() && arg.get_action().takes_values() {
        notes.push(format!("默认：{}", defaults.join("、")));
    }
    if let Some(env) = arg.get_env().filter(|_| id != "lang") {
        notes.push(format!("环境变量 {}", env.to_string_lossy()));
    }
    if notes.is_empty() {
        String::new()
    } else {
        format!("（{}）", notes.join("；"))
    }
}

/// `help` (clap's rendered Chinese help) with the section headings clap ends with an ASCII
/// colon (`选项:`, `命令:`, `参数:`; `{all-args}` appends it) ended with a full-width one like
/// `用法：`.
pub fn full_width_headings(help: &str) -> String {
    help.split_inclusive('\n')
        .map(|l| match l.trim_end() {
            "选项:" => l.replacen("选项:", "选项：", 1),
            "命令:" => l.replacen("命令:", "命令：", 1),
            "参数:" => l.replacen("参数:", "参数：", 1),
            _ => l.to_string(),
        })
        .collect()
}

/// A context value as text (lists comma-separated).
fn ctx(e: &clap::Error, kind: ContextKind) -> String {
    match e.get(kind) {
        Some(ContextValue::String(s)) => s.clone(),
        Some(ContextValue::Strings(v)) => v.join(", "),
        Some(ContextValue::StyledStr(s)) => s.to_string(),
        Some(ContextValue::StyledStrs(v)) => v
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(", "),
        Some(ContextValue::Number(n)) => n.to_string(),
        Some(ContextValue::Bool(b)) => b.to_string(),
        _ => String::new(),
    }
}

/// The first suggestion clap made for `kind`, if any.
fn suggestion(e: &clap::Error, kind: ContextKind) -> Option<String> {
    let s = ctx(e, kind);
    let first = s.split(", ").next().unwrap_or_default().trim().to_string();
    (!first.is_empty()).then_some(first)
}

/// clap's error `e` as the catalogue words it (error prefix, message, usage line, hint), for
/// the kinds that are errors; `None` for help and version output (printed as they are).
pub fn render_error(e: &clap::Error, cmd: &Command) -> Option<String> {
    let arg = ctx(e, ContextKind::InvalidArg);
    let value = ctx(e, ContextKind::InvalidValue);
    let message = match e.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => return None,
        ErrorKind::UnknownArgument => {
            let sug = suggestion(e, ContextKind::SuggestedArg);
            text(&Msg::ArgUnknown {
                arg: &arg,
                suggestion: sug.as_deref(),
            })
        }
        ErrorKind::InvalidValue | ErrorKind::NoEquals => text(&Msg::ArgInvalidValue {
            arg: &arg,
            value: &value,
            valid: &ctx(e, ContextKind::ValidValue),
        }),
        ErrorKind::ValueValidation => {
            // The parser's reason (Rust's `invalid float literal`, a library reason) in the
            // current language through the catalogue's reason table.
            let reason = std::error::Error::source(e)
                .map(|r| super::messages::reason(&r.to_string()))
                .unwrap_or_default();
            text(&Msg::ArgValueRefused {
                arg: &arg,
                value: &value,
                reason: &reason,
            })
        }
        ErrorKind::MissingRequiredArgument => text(&Msg::ArgMissing(&arg)),
        ErrorKind::MissingSubcommand => text(&Msg::SubcommandMissing {
            command: &ctx(e, ContextKind::InvalidSubcommand),
            valid: &ctx(e, ContextKind::ValidSubcommand),
        }),
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            // No context: the help clap renders (already localised) is the failing
            // command's; its usage line names the command path.
            let help = full_width_headings(&e.render().to_string());
            let path: Vec<&str> = help
                .lines()
                .find_map(|l| l.strip_prefix("用法："))
                .unwrap_or_default()
                .split_whitespace()
                .take_while(|w| !w.starts_with(['[', '<', '-']))
                .collect();
            let mut sub: &Command = cmd;
            for name in path.iter().skip(1) {
                if let Some(s) = sub.find_subcommand(name) {
                    sub = s;
                }
            }
            let valid: Vec<&str> = sub.get_subcommands().map(Command::get_name).collect();
            let message = text(&Msg::SubcommandMissing {
                command: sub.get_name(),
                valid: &valid.join(", "),
            });
            return Some(format!("{}{message}\n\n{help}", text(&Msg::ErrorPrefix)));
        }
        ErrorKind::InvalidSubcommand => {
            let sug = suggestion(e, ContextKind::SuggestedSubcommand);
            text(&Msg::SubcommandUnknown {
                name: &ctx(e, ContextKind::InvalidSubcommand),
                suggestion: sug.as_deref(),
            })
        }
        ErrorKind::ArgumentConflict => text(&Msg::ArgConflict {
            arg: &arg,
            other: &ctx(e, ContextKind::PriorArg),
        }),
        _ => {
            let raw = e.render().to_string();
            let first = raw.lines().next().unwrap_or_default();
            text(&Msg::ArgOther(first.trim_start_matches("error: ")))
        }
    };
    let mut out = format!("{}{message}\n", text(&Msg::ErrorPrefix));
    let usage = ctx(e, ContextKind::Usage);
    let usage = usage.trim().trim_start_matches("Usage:").trim();
    if !usage.is_empty() {
        out.push('\n');
        out.push_str(&text(&Msg::ArgUsage(usage)));
        out.push('\n');
    }
    out.push('\n');
    out.push_str(&text(&Msg::ArgMoreInfo));
    out.push('\n');
    Some(out)
}
