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

/// Chinese descriptions of the subcommands, by name (the English ones are the doc comments).
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
        "demo",
        "重新生成 data/demo/ 中的演示数据（固定随机种子，可复现）",
    ),
    ("admin", "管理：办事员令牌"),
    ("db", "数据库：在 SQLite 与 PostgreSQL 之间复制全部数据"),
];

/// Chinese help of arguments found in several commands, by argument id.
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
        "config",
        "配置文件（TOML）；默认为当前目录下的 nuanxin.toml（如果存在）",
    ),
    (
        "listen",
        "监听地址，例如 127.0.0.1:8080（端口 0 表示自动选择空闲端口）",
    ),
    ("data", "用于给空数据库填充服务点的文件（可重复）"),
    (
        "data_crs",
        "--data 文件的坐标系：wgs84、gcj02（高德）或 bd09（百度）",
    ),
    ("crs", "文件的坐标系：wgs84、gcj02（高德）或 bd09（百度）"),
    (
        "no_demo",
        "不提供演示数据：空数据库不填充内置演示点，已存的演示点也不提供",
    ),
    ("replace", "用文件中的服务点替换数据库中同类的全部服务点"),
    ("at", "位置：经度,纬度（例如 112.97,28.19）"),
    ("k", "返回的服务点个数"),
    ("kind", "服务点类型（可重复）"),
    ("mode", "出行方式：walk（步行）或 ebike（电动车）"),
    ("minutes", "出行时间，分钟"),
    ("adcode", "行政区划代码，例如 430100（长沙市）"),
    ("resolution", "H3 网格分辨率"),
    ("propose", "建议新增站点的个数"),
    ("gaps", "把空白区多边形写入此 GeoJSON 文件"),
    ("timings", "显示各步骤所用的时间"),
];

/// `cmd` (the whole command tree) for `lang`: unchanged for English; for Chinese every
/// command gets the Chinese layout, headings, description, `-h/--help` (and `-V/--version` at
/// the root) and the Chinese help of the arguments listed in [`ARG_ZH`].
pub fn localize(cmd: Command, lang: Lang) -> Command {
    match lang {
        Lang::En => cmd,
        Lang::Zh => zh_command(cmd, true),
    }
}

fn zh_command(mut cmd: Command, root: bool) -> Command {
    let name = cmd.get_name().to_string();
    if let Some((_, about)) = ABOUT_ZH.iter().find(|(n, _)| *n == name) {
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
        match ARG_ZH.iter().find(|(n, _)| *n == id) {
            Some((_, help)) => a.help(*help).long_help(None::<&str>),
            None => a,
        }
    });
    let subs: Vec<String> = cmd
        .get_subcommands()
        .map(|s| s.get_name().to_string())
        .collect();
    for sub in subs {
        cmd = cmd.mut_subcommand(sub, |s| zh_command(s, false));
    }
    cmd
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
            let reason = std::error::Error::source(e)
                .map(ToString::to_string)
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
            let help = e.render().to_string();
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
