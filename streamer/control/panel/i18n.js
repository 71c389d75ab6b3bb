// UI strings in English and Chinese. Elements carry data-i18n (text), data-i18n-ph (placeholder), data-i18n-title.
const STRINGS = {
  en: {
    title: "Streamer control", login: "Log in", logout: "Log out", token: "API token", streams: "Streams",
    new_stream: "New stream", name: "Name", brief_yaml: "Brief (YAML)", size: "Size", fps: "FPS", voice: "Voice",
    host: "Host", host_default: "Xiaoya (woman)", host_leo: "Leo (man)",
    outputs: "RTMP outputs (one per line)", create: "Create", start: "Start", stop: "Stop", preview: "Preview",
    interrupt: "Interrupt", pause: "Pause script", resume: "Resume script", switch_product: "Switch product",
    say_ph: "Say something now", urgent: "urgent", say: "Say", comment_ph: "Inject a viewer comment",
    inject: "Inject comment", health: "Health", comments: "Comments", captions: "Captions", schedule: "Schedule",
    kind: "Kind", window: "Window", tz: "Time zone", products: "Products", next: "Next", daily: "daily",
    weekly: "weekly", once: "once", add: "Add", delete: "Delete", runs: "Run history", started: "Started",
    reason: "Reason", ended: "Ended", end_reason: "End reason", restarts: "Restarts", online: "online",
    offline: "offline", days_hint: "weekdays, 0 = Monday", open_now: "open now", no_preview: "no preview",
    bad_token: "That token was not accepted.", reply: "reply", ignore: "ignored", block: "blocked",
    pending: "deciding…", stopped: "stopped", starting: "starting", live: "live", restarting: "restarting",
    stopping: "stopping", failed: "failed", late_frames: "late frames", av_offset: "A/V offset (ms)",
    comments_pending: "comments waiting", responder_ms: "reply decided in (ms)", outputs_state: "outputs",
    lag: "lag (s)", fps_now: "fps",
    mute: "Mute", unmute: "Unmute", stream_stopped: "stream stopped", connecting: "connecting…",
    llm: "Reply model (LLM)", llm_backend: "Backend", llm_default: "server default (STREAMER_LLM_*)",
    llm_none: "none: answer from the brief only", llm_base_url: "Endpoint", llm_model: "Model",
    llm_api_key: "API key", llm_first_s: "First sentence within (s)", force: "force",
    llm_state: "reply model", llm_fallbacks: "fallbacks",
    comment_sources: "Chat sources (one URL per line)", sources_state: "chat sources", up: "up", down: "down",
    force_hint: "say it even if the reply guard refuses it; the override is recorded",
    product_facts: "Products: price and stock", price: "Price", list_price: "List price (crossed out)",
    stock: "Stock (0: sold out)", promotions: "Promotions (one per line)", update: "Update", updated: "Updated",
    search_transcript: "what was said", search_comments: "what viewers wrote", search_ph: "Search",
    search: "Search", export_csv: "Export CSV", export_jsonl: "Export JSON lines", no_results: "nothing found",
    alerts: "Alerts", alert_output_down: "output down", alert_late_frames: "late frames",
    alert_tts_fallback: "voice on fallback", alert_llm_fallback: "reply model on fallback",
    alert_worker_restarts: "worker restarting", alert_window_missed: "scheduled window missed",
    // room view: schedules edited in place, the health chart, words the server sends (states, sources, intents)
    edit: "Edit", save: "Save", cancel: "Cancel", closes: "closes", start_time: "start", end_time: "end",
    llm_openai: "OpenAI-compatible", time: "time", late_frames_new: "late frames (new)", fps_axis: "fps · frames",
    ms_axis: "ms", health_stopped: "The stream is stopped: these figures are from before the stop.",
    health_stopping: "The stream is stopping.",
    role_admin: "admin", role_operator: "operator", role_developer: "developer",
    src_script: "script", src_reply: "reply", src_say: "said now", src_brief: "brief",
    intent_price: "price", intent_stock: "stock", intent_shipping: "shipping", intent_spec: "product details",
    intent_how_to_buy: "how to buy", intent_after_sales: "after-sales", intent_greeting: "greeting",
    intent_complaint: "complaint", intent_spam: "spam", intent_injection: "instruction attempt", intent_other: "other",
    breaker_closed: "working", breaker_open: "paused after failures", breaker_half_open: "trying again",
    output_starting: "starting", output_live: "live", output_reconnecting: "reconnecting", output_closed: "closed",
    output_connecting: "connecting", output_connected: "connected",
    run_manual: "by hand", run_schedule: "schedule", run_stopped: "stopped", run_refused: "refused",
    run_service_lost: "service lost", run_service_stopped: "service stopped", run_failed: "failed",
    // fleet overview (fleet.js)
    fleet_title: "Fleet", fleet_filter_ph: "Filter rooms by name", fleet_sort: "Sort by", fleet_by_name: "name",
    fleet_by_state: "state", fleet_by_late: "late frames", fleet_by_alerts: "alerts", fleet_all_states: "all states",
    fleet_replies: "replies / min", fleet_tts: "voice", fleet_llm: "reply model", fleet_fallback: "fallback",
    fleet_none: "none", fleet_no_rooms: "No room matches.", fleet_fps: "fps",
    fleet_out_starting: "connecting", fleet_out_live: "live", fleet_out_reconnecting: "reconnecting",
    fleet_out_closed: "closed", fleet_out_failed: "failed",
  },
  zh: {
    title: "数字人直播控制台", login: "登录", logout: "退出", token: "访问令牌", streams: "直播间",
    new_stream: "新建直播间", name: "名称", brief_yaml: "商品简介（YAML）", size: "画面尺寸", fps: "帧率", voice: "音色",
    host: "主播形象", host_default: "小雅（女）", host_leo: "Leo（男）",
    outputs: "推流地址（每行一个 RTMP）", create: "创建", start: "开播", stop: "停播", preview: "预览",
    interrupt: "打断", pause: "暂停脚本", resume: "继续脚本", switch_product: "切换商品",
    say_ph: "让主播马上说…", urgent: "插播", say: "说", comment_ph: "模拟一条观众评论",
    inject: "注入评论", health: "运行状态", comments: "评论", captions: "字幕", schedule: "排期",
    kind: "类型", window: "时段", tz: "时区", products: "商品轮播", next: "下次", daily: "每天",
    weekly: "每周", once: "单次", add: "添加", delete: "删除", runs: "开播记录", started: "开始",
    reason: "原因", ended: "结束", end_reason: "结束原因", restarts: "重启次数", online: "已连接",
    offline: "未连接", days_hint: "星期，0 = 周一", open_now: "进行中", no_preview: "无预览",
    bad_token: "令牌无效。", reply: "已回复", ignore: "忽略", block: "已屏蔽",
    pending: "处理中…", stopped: "已停播", starting: "启动中", live: "直播中", restarting: "重启中",
    stopping: "停播中", failed: "失败", late_frames: "迟到帧", av_offset: "音画偏差（毫秒）",
    comments_pending: "待处理评论", responder_ms: "回复决策耗时（毫秒）", outputs_state: "推流",
    lag: "延迟（秒）", fps_now: "帧率",
    mute: "静音", unmute: "打开声音", stream_stopped: "直播已停止", connecting: "连接中…",
    llm: "回复模型（LLM）", llm_backend: "后端", llm_default: "服务器默认（STREAMER_LLM_*）",
    llm_none: "不用模型，只按商品资料回答", llm_base_url: "接口地址", llm_model: "模型",
    llm_api_key: "API 密钥", llm_first_s: "首句时限（秒）", force: "强制",
    llm_state: "回复模型", llm_fallbacks: "次兜底",
    comment_sources: "弹幕来源（每行一个地址）", sources_state: "弹幕来源", up: "已连接", down: "未连接",
    force_hint: "即使回复审核不通过也播出；强制记录会写入逐字稿",
    product_facts: "商品价格与库存", price: "到手价", list_price: "划线价", stock: "库存（0 为售罄）",
    promotions: "活动（每行一个）", update: "更新", updated: "已更新",
    search_transcript: "主播说过的话", search_comments: "观众评论", search_ph: "搜索",
    search: "搜索", export_csv: "导出 CSV", export_jsonl: "导出 JSON Lines", no_results: "没有找到",
    alerts: "告警", alert_output_down: "推流中断", alert_late_frames: "迟到帧过多",
    alert_tts_fallback: "语音已降级", alert_llm_fallback: "回复模型已降级",
    alert_worker_restarts: "进程反复重启", alert_window_missed: "排期未开播",
    // room view
    edit: "编辑", save: "保存", cancel: "取消", closes: "结束于", start_time: "开始", end_time: "结束",
    llm_openai: "兼容 OpenAI 接口", time: "时间", late_frames_new: "新增迟到帧", fps_axis: "帧率 · 帧数",
    ms_axis: "毫秒", health_stopped: "直播已停止：以下数据为停播前的记录。", health_stopping: "正在停播。",
    role_admin: "管理员", role_operator: "运营", role_developer: "开发者",
    src_script: "脚本", src_reply: "回复", src_say: "插话", src_brief: "简介",
    intent_price: "问价格", intent_stock: "问库存", intent_shipping: "问发货", intent_spec: "问规格",
    intent_how_to_buy: "问怎么买", intent_after_sales: "售后", intent_greeting: "打招呼",
    intent_complaint: "投诉", intent_spam: "垃圾信息", intent_injection: "指令注入", intent_other: "其他",
    breaker_closed: "正常", breaker_open: "失败后暂停", breaker_half_open: "重试中",
    output_starting: "启动中", output_live: "推流中", output_reconnecting: "重连中", output_closed: "已关闭",
    output_connecting: "连接中", output_connected: "已连接",
    run_manual: "手动", run_schedule: "排期", run_stopped: "已停播", run_refused: "被拒绝",
    run_service_lost: "服务中断", run_service_stopped: "服务已停止", run_failed: "失败",
    // fleet overview (fleet.js)
    fleet_title: "全部直播间", fleet_filter_ph: "按名称筛选直播间", fleet_sort: "排序", fleet_by_name: "名称",
    fleet_by_state: "状态", fleet_by_late: "迟到帧", fleet_by_alerts: "告警", fleet_all_states: "全部状态",
    fleet_replies: "每分钟回复", fleet_tts: "语音", fleet_llm: "回复模型", fleet_fallback: "已降级",
    fleet_none: "未使用", fleet_no_rooms: "没有符合条件的直播间。", fleet_fps: "帧率",
    fleet_out_starting: "连接中", fleet_out_live: "推流中", fleet_out_reconnecting: "重连中",
    fleet_out_closed: "已关闭", fleet_out_failed: "失败",
  },
};

let lang = localStorage.getItem("streamer.lang") || (navigator.language.startsWith("zh") ? "zh" : "en");

export function t(key) {
  return (STRINGS[lang] && STRINGS[lang][key]) || STRINGS.en[key] || key;
}

export function currentLang() { return lang; }

export function setLang(next) {
  lang = next === "zh" ? "zh" : "en";
  localStorage.setItem("streamer.lang", lang);
  applyStrings();
}

export function applyStrings(root = document) {
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of root.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of root.querySelectorAll("[data-i18n-ph]")) el.placeholder = t(el.dataset.i18nPh);
  for (const el of root.querySelectorAll("[data-i18n-title]")) el.title = t(el.dataset.i18nTitle);
}
