#!/usr/bin/env python3
"""Writes the import templates and the Changsha sample (run once; the outputs are committed).

    pip install openpyxl==3.1.5 && python3 data/templates/make_templates.py

Outputs:
- data/templates/service_points_template.csv  (UTF-8 with BOM, so Excel shows Chinese)
- data/templates/service_points_template.xlsx (sheet 服务点 + sheet 填写说明)
- data/samples/changsha_sample_gcj02.csv      (fictitious points, GCJ-02 positions a few
  hundred metres from real metro stations; positions typed as Amap shows them)
"""
import csv
import os

from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

HEADERS = ["编号", "名称", "类型", "经度", "纬度", "地址", "区划代码", "开放时间", "设施",
           "进入方式", "运营方", "电话", "入口经度", "入口纬度", "更新时间"]
REQUIRED = {"名称", "类型", "经度", "纬度"}

EXAMPLES = [
    ["示例-001", "示例社区暖新驿站", "驿站", "112.977512", "28.194733", "长沙市芙蓉区示例路1号",
     "", "Mo-Su 08:00-20:00", "饮水、充电、歇脚、卫生间", "开放", "示例社区居民委员会",
     "0731-00000000", "", "", "2026-11-29"],
    ["示例-002", "示例小区", "骑手友好社区", "112.984905", "28.190211", "长沙市芙蓉区示例路2号",
     "", "24/7", "停车、充电", "骑手码", "示例物业", "", "112.984511", "28.189702", "2026-11-29"],
]

GUIDE = [
    ("编号", "id", "否", "本单位内唯一的编号；留空时按类型、名称和位置自动生成"),
    ("名称", "name", "是", "服务点名称"),
    ("类型", "kind", "是", "驿站 / 法律援助 / 骑手友好社区 / 人民建议征集点 (station, legal_aid, rider_friendly_community, collection_point)；红色之家、暖新驿站也可"),
    ("经度", "lon", "是", "十进制度，小数点用“.”（112.98，不是 112,98）；从高德、腾讯、微信取得的坐标是 GCJ-02，导入时选 --crs gcj02；百度为 bd09；GPS 为 wgs84"),
    ("纬度", "lat", "是", "十进制度；长沙约 27.8–28.7，经度约 111.9–114.3，不要填反"),
    ("地址", "address", "否", "详细地址"),
    ("区划代码", "adcode", "否", "6 位行政区划代码，如 430102 芙蓉区；留空时按位置自动判断"),
    ("开放时间", "opening_hours", "否", "OpenStreetMap opening_hours 语法：24/7；Mo-Fr 08:00-20:00；Mo-Fr 09:00-12:00,14:00-17:30"),
    ("设施", "amenities", "否", "用、或逗号分隔：饮水 充电 热饭 卫生间 取暖 纳凉 歇脚 无线网络 停车 法律咨询"),
    ("进入方式", "access", "否", "开放 / 刷脸 / 骑手码 / 值守时段 (open, face_scan, rider_code, staffed_hours)"),
    ("运营方", "operator", "否", "工会、社区、党群服务中心等"),
    ("电话", "phone", "否", "公开的联系电话，如 0731-12345678"),
    ("入口经度", "entrance_lon", "否", "骑手友好社区供骑手使用的入口，与经度同一坐标系"),
    ("入口纬度", "entrance_lat", "否", "同上"),
    ("更新时间", "updated_at", "否", "2026-11-29 或 2026-11-29T08:00:00+08:00（北京时间）"),
]

# Fictitious points near real stations; (station GCJ-02 from metromancn, offset in degrees).
SAMPLE = [
    ("cs-001", "五一广场暖新驿站", "驿站", 112.976341, 28.195346, 0.0012, -0.0006, "长沙市芙蓉区五一大道", "24/7", "饮水、充电、热饭、卫生间、取暖、纳凉、歇脚", "刷脸", "芙蓉区总工会"),
    ("cs-002", "橘子洲红色之家", "红色之家", 112.962505, 28.195603, -0.0009, 0.0011, "长沙市岳麓区橘子洲头", "24/7", "饮水、充电、歇脚、卫生间", "刷脸", "橘子洲街道党工委"),
    ("cs-003", "芙蓉广场户外劳动者服务站", "驿站", 112.984621, 28.194902, 0.0004, 0.0010, "长沙市芙蓉区芙蓉中路", "Mo-Su 08:00-20:00", "饮水、充电、歇脚", "开放", "长沙市总工会"),
    ("cs-004", "侯家塘骑手驿站", "驿站", 112.982135, 28.173792, -0.0011, -0.0004, "长沙市天心区芙蓉中路", "Mo-Su 07:00-22:00", "饮水、充电、热饭、歇脚、无线网络", "开放", "天心区总工会"),
    ("cs-005", "溁湾镇新就业群体权益服务点", "法律援助", 112.952302, 28.196738, 0.0007, -0.0012, "长沙市岳麓区枫林一路", "Mo-Fr 09:00-12:00,14:00-17:30", "法律咨询、饮水", "值守时段", "岳麓区司法局"),
    ("cs-006", "开福寺社区人民建议征集点", "人民建议征集点", 112.979549, 28.222442, -0.0008, 0.0006, "长沙市开福区开福寺路", "Mo-Fr 09:00-17:00", "歇脚、饮水", "值守时段", "开福区党群服务中心"),
    ("cs-007", "袁家岭暖新驿站", "驿站", 113.000645, 28.194552, 0.0010, 0.0009, "长沙市芙蓉区五一大道", "Mo-Fr 08:30-18:00; Sa,Su 09:00-17:00", "饮水、充电、卫生间", "开放", "袁家岭社区居民委员会"),
    ("cs-008", "火车站广场红色之家", "红色之家", 113.010983, 28.193622, 0.0006, 0.0014, "长沙市芙蓉区车站北路", "24/7", "饮水、充电、热饭、卫生间、取暖、纳凉、歇脚、无线网络", "刷脸", "定王台街道党工委"),
    ("cs-009", "湖南师大骑手友好社区", "骑手友好社区", 112.948149, 28.186265, -0.0010, -0.0008, "长沙市岳麓区麓山路", "24/7", "停车、充电", "骑手码", "岳麓街道"),
    ("cs-010", "万家丽广场人民建议征集点", "人民建议征集点", 113.030547, 28.191485, 0.0012, -0.0007, "长沙市芙蓉区万家丽中路", "Mo-Fr 09:00-12:00,14:00-17:30", "歇脚", "值守时段", "东屯渡街道党群服务中心"),
    ("cs-011", "星沙户外劳动者服务站", "驿站", 113.086873, 28.245631, -0.0006, 0.0010, "长沙县星沙街道", "Mo-Su 08:00-20:00", "饮水、充电、歇脚、停车", "开放", "长沙县总工会"),
    ("cs-012", "梅溪湖暖新驿站", "驿站", 112.908169, 28.201676, 0.0009, 0.0005, "长沙市岳麓区梅溪湖路", "Mo-Sa 08:00-21:00", "饮水、充电、歇脚、卫生间", "开放", "梅溪湖街道"),
]


def write_csv(path, header, rows):
    with open(path, "w", encoding="utf-8-sig", newline="") as f:
        w = csv.writer(f, lineterminator="\r\n")  # as Excel writes it
        w.writerow(header)
        w.writerows(rows)


def main():
    t = os.path.join(ROOT, "data", "templates")
    write_csv(os.path.join(t, "service_points_template.csv"), HEADERS, EXAMPLES)

    wb = Workbook()
    ws = wb.active
    ws.title = "服务点"
    ws.append(HEADERS)
    for r in EXAMPLES:
        row = list(r)
        # numbers as numbers, as Excel stores typed coordinates
        for i in (3, 4, 12, 13):
            row[i] = float(row[i]) if row[i] else None
        ws.append(row)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")
    for cell in ws[1]:
        cell.font = bold
        if cell.value in REQUIRED:
            cell.fill = fill
    for col, width in zip("ABCDEFGHIJKLMNO", [12, 24, 14, 12, 12, 28, 10, 30, 28, 10, 20, 16, 12, 12, 12]):
        ws.column_dimensions[col].width = width
    ws.freeze_panes = "A2"
    g = wb.create_sheet("填写说明")
    g.append(["列名", "英文字段", "必填", "说明"])
    for cell in g[1]:
        cell.font = bold
    for r in GUIDE:
        g.append(list(r))
    g.append([])
    g.append(["注意", "", "", "示例行（编号以“示例”开头）请删除后再导入；只读取第一个工作表"])
    g.column_dimensions["A"].width = 12
    g.column_dimensions["B"].width = 16
    g.column_dimensions["D"].width = 100
    wb.save(os.path.join(t, "service_points_template.xlsx"))

    rows = []
    for (sid, name, kind, lon, lat, dlon, dlat, addr, hours, amen, access, op) in SAMPLE:
        rows.append([sid, name, kind, f"{lon + dlon:.6f}", f"{lat + dlat:.6f}", addr, "", hours,
                     amen, access, op, "", "", "", "2026-11-29"])
    s = os.path.join(ROOT, "data", "samples")
    os.makedirs(s, exist_ok=True)
    # Fictitious points are flagged 演示数据=是 so the map never shows them as real.
    write_csv(os.path.join(s, "changsha_sample_gcj02.csv"), HEADERS + ["演示数据"],
              [r + ["是"] for r in rows])


if __name__ == "__main__":
    main()
