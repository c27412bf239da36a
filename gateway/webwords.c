/* webwords — the web pages' words in Chinese and English (webpage.h). */
#include <stdio.h>
#include <string.h>

#include "webpage.h"

static const char *const words[M_COUNT][2] = {
    [M_SITE] = {"违法和不良信息举报", "Report illegal and harmful information"},
    [M_FORM_TITLE] = {"举报网上违法和不良信息", "Report illegal or harmful content online"},
    [M_FORM_LEAD] = {"填写链接和类别即可提交；其余各项可以不填。提交后您会得到受理编号和查询密码。",
                     "A link and a category are enough; everything else is optional. You will "
                     "get a receipt number and a secret to follow your report."},
    [M_SWITCH] = {"English", "中文"},
    [M_URL] = {"链接", "Link"},
    [M_URL_HINT] = {"违法和不良信息所在的网页地址，例如 https://example.com/post/123",
                    "The address of the page, for example https://example.com/post/123"},
    [M_CATEGORY] = {"类别", "Category"},
    [M_TITLE] = {"标题", "Title"},
    [M_TITLE_HINT] = {"一句话概括（最多 {n} 字）", "In a few words (at most {n} characters)"},
    [M_DESCRIPTION] = {"描述", "Description"},
    [M_DESCRIPTION_HINT] = {"发生了什么、在哪里看到（最多 {n} 字）",
                            "What happened and where you saw it (at most {n} characters)"},
    [M_EVIDENCE] = {"证据图片", "Evidence image"},
    [M_EVIDENCE_HINT] = {"截图等，JPEG、PNG 或 WebP，最大 {n} MB",
                         "A screenshot or photo: JPEG, PNG or WebP, at most {n} MB"},
    [M_CONTACT] = {"联系方式", "Contact details"},
    [M_CONTACT_HINT] = {"如愿意接受回访，可留电话或邮箱", "A phone number or e-mail, if we may contact you"},
    [M_SUBMIT] = {"提交举报", "Send the report"},
    [M_OPTIONAL] = {"（选填）", " (optional)"},
    [M_PRIVACY_TITLE] = {"我们保存什么、如何保护、保存多久", "What we keep, how we protect it, for how long"},
    [M_PRIVACY] = {
        "您的网络地址不会被保存：它只被换算成每天更换的化名，用于防止滥用。"
        "联系方式和您填写的原文被加密，只有中心指定的人员持有解密密钥；"
        "审核人员只看到去除了电话、邮箱、身份证号和银行卡号的副本，看不到您是谁。"
        "证据图片在保存前删除其中的拍摄位置、设备型号等元数据，加密保存，不对外公开。举报自收到之日起保存 {n} 天，之后自动删除。",
        "Your network address is not stored: it only becomes a pseudonym that changes every day, "
        "used against abuse. Your contact details and the text as you wrote it are encrypted; "
        "only staff the centre designates hold the key. Reviewers see a copy with phone numbers, "
        "e-mail addresses, ID and bank card numbers removed, and never who you are. Evidence "
        "images lose their metadata (where a photo was taken, the camera) before they are "
        "stored encrypted, and are never published. A report is kept for {n} days after "
        "it arrives, then deleted."},
    [M_ERRORS_TITLE] = {"请修改以下问题后再提交：", "Please correct the following and send again:"},
    [M_E_URL_MISSING] = {"请填写链接", "Enter the link"},
    [M_E_URL_INVALID] = {"这不是有效的网页地址（应以 http:// 或 https:// 开头）",
                         "This is not a valid web address (it starts with http:// or https://)"},
    [M_E_CATEGORY] = {"请选择一个类别", "Choose a category"},
    [M_E_TOO_LONG_CHARS] = {"太长了：最多 {n} 个字", "Too long: at most {n} characters"},
    [M_E_TOO_LONG_BYTES] = {"太长了：最多 {n} 字节", "Too long: at most {n} bytes"},
    [M_E_CONTROL] = {"包含不允许的控制字符", "Contains control characters"},
    [M_E_UTF8] = {"包含无法识别的字符", "Contains characters that are not valid text"},
    [M_E_EVIDENCE_TYPE] = {"只接受 JPEG、PNG 或 WebP 图片", "Only JPEG, PNG or WebP images are taken"},
    [M_E_EVIDENCE_SIZE] = {"图片太大：最大 {n} MB", "The image is too large: at most {n} MB"},
    [M_E_EVIDENCE_AGAIN] = {"如需附上图片，请重新选择文件", "To attach the image, choose the file again"},
    [M_E_EVIDENCE_BAD] = {"这张图片无法打开，可能已经损坏，请换一张",
                          "This image cannot be opened (it may be damaged): please choose another"},
    [M_E_EVIDENCE_PIXELS] = {"图片尺寸太大：最多 {n} 百万像素",
                             "The image has too many pixels: at most {n} million"},
    [M_E_FORGED] = {"这份表单不是从本站提交的，未被受理", "This form was not sent from this site and was not taken"},
    [M_E_EXPIRED] = {"表单已过期，请再提交一次", "The form had expired: please send it again"},
    [M_E_FIELD] = {"表单中有无法识别的内容", "The form holds something it should not"},
    [M_E_UNAVAILABLE] = {"暂时无法保存举报，请稍后再提交", "The report could not be stored just now: please try again"},
    [M_E_EVIDENCE_BUDGET] = {"今天来自您网络的证据图片已达上限。请不附图片提交，或明天再附上图片。",
                             "Your network has sent as many evidence images as we take in a day. "
                             "Send the report without the image, or add it tomorrow."},
    [M_E_RATE] = {"来自您网络的举报太多了。请等待约 {n} 分钟后再提交。",
                  "Too many reports from your network. Please wait about {n} minutes, then send again."},
    [M_POW] = {"您的浏览器正在进行一次简短的计算以证明这不是自动程序，完成后会自动提交……",
               "Your browser is doing a short computation to show this is not a robot; the "
               "form is sent when it is done…"},
    [M_RECEIPT_TITLE] = {"举报已受理", "Your report was received"},
    [M_RECEIPT_LEAD] = {"请记下受理编号和查询密码。密码只显示这一次，我们无法找回。",
                        "Write down the receipt number and the secret. The secret is shown only "
                        "now; we cannot recover it."},
    [M_RECEIPT_ID] = {"受理编号", "Receipt number"},
    [M_RECEIPT_SECRET] = {"查询密码", "Secret"},
    [M_RECEIPT_HOW] = {"在“查询进度”页面输入编号和密码，即可看到处理状态和结果。",
                       "Enter both on the “Follow a report” page to see its status and the decision."},
    [M_RECEIPT_DUP] = {"这个链接已经有人举报过，您的举报已并入同一案件。",
                       "This link was reported before: your report joins the same case."},
    [M_TO_STATUS] = {"查询进度", "Follow a report"},
    [M_NEW_REPORT] = {"再举报一条", "Report something else"},
    [M_STATUS_TITLE] = {"查询举报进度", "Follow a report"},
    [M_STATUS_LEAD] = {"输入受理编号和查询密码。", "Enter the receipt number and the secret."},
    [M_STATUS_ID] = {"受理编号", "Receipt number"},
    [M_STATUS_SECRET] = {"查询密码", "Secret"},
    [M_STATUS_SUBMIT] = {"查询", "Look it up"},
    [M_STATUS_NOT_FOUND] = {"没有找到与该编号和密码相符的举报", "No report matches this number and secret"},
    [M_STATUS_RATE] = {"来自您网络的查询太多了。请等待几分钟后再查询。",
                       "Too many lookups from your network. Please wait a few minutes, then try "
                       "again."},
    [M_STATUS_IS] = {"状态", "Status"},
    [M_ST_RECEIVED] = {"已受理，等待审核", "Received, waiting for review"},
    [M_ST_IN_REVIEW] = {"审核中", "Being reviewed"},
    [M_ST_ACTIONED] = {"已处理：内容违规", "Decided: the content breaks the rules and was acted on"},
    [M_ST_NO_VIOLATION] = {"已审核：未发现违规", "Decided: no violation found"},
    [M_DECISION] = {"处理结果", "Decision"},
    [M_DECIDED_AT] = {"处理时间", "Decided on"},
    [M_RECEIVED_AT] = {"受理时间", "Received on"},
    [M_CASE] = {"案件", "Case"},
    [M_CONSOLE_TITLE] = {"审核台", "Review console"},
    [M_ERROR_TITLE] = {"无法受理", "This could not be taken"},
    [M_BACK] = {"返回举报表单", "Back to the form"},
    [M_OUTCOMES] = {"后续处置", "What was done"},
    [M_OC_REMOVED_P] = {"平台已删除该内容，时间：", "Removed by the platform on"},
    [M_OC_RESTRICTED_P] = {"平台已限制该内容，时间：", "Restricted by the platform on"},
    [M_OC_NO_ACTION_P] = {"平台未采取措施，时间：", "No action by the platform, on"},
    [M_OC_REMOVED_A] = {"主管部门已删除该内容，时间：", "Removed by the competent agency on"},
    [M_OC_RESTRICTED_A] = {"主管部门已限制该内容，时间：", "Restricted by the competent agency on"},
    [M_OC_NO_ACTION_A] = {"主管部门未采取措施，时间：", "No action by the competent agency, on"},
};

const char *web_word(enum lang l, enum msg m)
{
    return words[m][l];
}

void web_fill(char *out, size_t outlen, const char *tmpl, long n)
{
    const char *at = strstr(tmpl, "{n}");
    if (at)
        snprintf(out, outlen, "%.*s%ld%s", (int)(at - tmpl), tmpl, n, at + 3);
    else
        snprintf(out, outlen, "%s", tmpl);
}
