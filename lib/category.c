/* category — see category.h. */
#include "category.h"

#include <string.h>

const struct category categories[] = {
    {"rumor", "谣言", "Rumours", "编造、传播虚假信息，扰乱社会秩序",
     "False information made up or spread to disturb public order"},
    {"pornography", "淫秽色情", "Pornography", "淫秽色情图片、视频、文字及招嫖信息",
     "Obscene images, videos or text, and solicitation"},
    {"violence_terrorism", "暴力恐怖", "Violence and terrorism",
     "宣扬恐怖主义、极端主义，血腥暴力内容", "Terrorism, extremism, and gory violence"},
    {"gambling", "网络赌博", "Gambling", "网络赌场、赌球、博彩推广", "Online casinos, betting and their promotion"},
    {"fraud", "电信网络诈骗", "Telecom and online fraud",
     "虚假投资、冒充公检法或客服、贷款诈骗、刷单诈骗等",
     "Fake investments, impersonated police or customer service, loan and task scams"},
    {"cult_superstition", "邪教迷信", "Cults and superstition", "邪教组织宣传、封建迷信骗财",
     "Cult propaganda and superstition used to take money"},
    {"defamation", "网络诽谤", "Defamation", "捏造事实诽谤他人、侮辱他人名誉",
     "Made-up claims that harm a person's reputation"},
    {"privacy_violation", "侵犯个人信息", "Personal data violation",
     "非法买卖、泄露公民个人信息，人肉搜索", "Trading or leaking personal data, doxxing"},
    {"hacking", "攻击窃密", "Attacks and data theft", "网络攻击、木马病毒、钓鱼网站、窃取数据",
     "Attacks, malware, phishing sites and data theft"},
    {"minors", "侵害未成年人", "Harm to minors", "危害未成年人身心健康的内容和行为",
     "Content or conduct that harms children"},
    {"ip_infringement", "侵犯知识产权", "IP infringement", "盗版、假冒商品、侵犯著作权或商标",
     "Piracy, counterfeits, copyright or trademark infringement"},
    {"financial_crime", "网络金融犯罪", "Financial crime", "非法集资、非法放贷、洗钱、虚拟货币非法交易",
     "Illegal fund-raising, lending, money laundering, illegal crypto trading"},
    {"other", "其他", "Other", "其他违法和不良信息", "Other illegal or harmful information"},
};

const size_t categories_count = sizeof categories / sizeof categories[0];

const struct category *category_find(const char *code, size_t len)
{
    for (size_t i = 0; i < categories_count; i++)
        if (strlen(categories[i].code) == len && memcmp(categories[i].code, code, len) == 0)
            return &categories[i];
    return NULL;
}
