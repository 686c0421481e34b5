namespace Orleans.Tts.Synthesis.Text.Chinese;

/// <summary>
/// Source text of <see cref="MandarinPhraseTable.Default"/>. Matching is forward longest-match, so a few ordinary
/// words are listed only to stop a wrong match from starting inside them (数组 keeps 组长 out of 数组长度).
/// </summary>
internal static class MandarinPhrases
{
    public const string Text = """
        # Single characters whose common modern reading is not Unihan's first one
        地 di4
        得 de5
        长 chang2
        似 si4
        甚 shen4
        卜 bu3
        〇 ling2
        都 dou1

        # 行
        银行 yin2 hang2
        行业 hang2 ye4
        行情 hang2 qing2
        行列 hang2 lie4
        内行 nei4 hang2
        外行 wai4 hang2
        排行 pai2 hang2
        各行各业 ge4 hang2 ge4 ye4
        行号 hang2 hao4
        行走 xing2 zou3

        # 长 zhang3 (default chang2)
        长大 zhang3 da4
        成长 cheng2 zhang3
        增长 zeng1 zhang3
        生长 sheng1 zhang3
        长辈 zhang3 bei4
        年长 nian2 zhang3
        长相 zhang3 xiang4
        校长 xiao4 zhang3
        部长 bu4 zhang3
        市长 shi4 zhang3
        家长 jia1 zhang3
        队长 dui4 zhang3
        院长 yuan4 zhang3
        班长 ban1 zhang3
        组长 zu3 zhang3
        局长 ju2 zhang3
        董事长 dong3 shi4 zhang3
        长度 chang2 du4
        长期 chang2 qi1
        长时间 chang2 shi2 jian1
        数组 shu4 zu3
        大家 da4 jia1
        全部 quan2 bu4
        内部 nei4 bu4
        外部 wai4 bu4
        局部 ju2 bu4
        医院 yi1 yuan4
        学校 xue2 xiao4
        团队 tuan2 dui4

        # 重 chong2
        重要 zhong4 yao4
        重新 chong2 xin1
        重复 chong2 fu4
        重启 chong2 qi3
        重试 chong2 shi4
        重建 chong2 jian4
        重置 chong2 zhi4
        重写 chong2 xie3
        重做 chong2 zuo4
        重来 chong2 lai2
        重连 chong2 lian2
        重叠 chong2 die2
        重装 chong2 zhuang1
        重载 chong2 zai3
        重组 chong2 zu3
        重播 chong2 bo1
        重构 chong2 gou4
        重逢 chong2 feng2
        重庆 chong2 qing4
        重命名 chong2 ming4 ming2
        重定向 chong2 ding4 xiang4

        # 乐 yue4
        音乐 yin1 yue4
        乐队 yue4 dui4
        乐器 yue4 qi4
        乐团 yue4 tuan2
        乐曲 yue4 qu3
        声乐 sheng1 yue4
        快乐 kuai4 le4

        # 觉
        睡觉 shui4 jiao4
        午觉 wu3 jiao4
        觉得 jue2 de5

        # 还 huan2
        还是 hai2 shi4
        还款 huan2 kuan3
        还钱 huan2 qian2
        归还 gui1 huan2
        偿还 chang2 huan2
        退还 tui4 huan2
        还原 huan2 yuan2

        # 都 du1
        首都 shou3 du1
        成都 cheng2 du1
        都市 du1 shi4
        大都市 da4 du1 shi4
        京都 jing1 du1
        古都 gu3 du1

        # 为 wei2 (default wei4)
        为了 wei4 le5
        因为 yin1 wei4
        为什么 wei4 shen2 me5
        为人民 wei4 ren2 min2
        认为 ren4 wei2
        成为 cheng2 wei2
        作为 zuo4 wei2
        以为 yi3 wei2
        行为 xing2 wei2
        称为 cheng1 wei2
        视为 shi4 wei2
        分为 fen1 wei2
        变为 bian4 wei2
        改为 gai3 wei2
        设为 she4 wei2
        转为 zhuan3 wei2
        为止 wei2 zhi3
        为主 wei2 zhu3
        较为 jiao4 wei2
        极为 ji2 wei2
        更为 geng4 wei2
        最为 zui4 wei2
        为难 wei2 nan2
        为人 wei2 ren2

        # 了 liao3
        了解 liao3 jie3
        了不起 liao3 bu5 qi3
        受不了 shou4 bu5 liao3
        少不了 shao3 bu5 liao3
        免不了 mian3 bu5 liao3
        忘不了 wang4 bu5 liao3
        除了 chu2 le5
        明了 ming2 liao3
        一目了然 yi2 mu4 liao3 ran2

        # 的 di
        目的 mu4 di4
        目的地 mu4 di4 di4
        的确 di2 que4
        的确认 de5 que4 ren4
        的确定 de5 que4 ding4
        的士 di1 shi4

        # 得 de2 (default de5)
        得到 de2 dao4
        获得 huo4 de2
        取得 qu3 de2
        赢得 ying2 de2
        得出 de2 chu1
        得分 de2 fen1
        得知 de2 zhi1
        得以 de2 yi3
        得意 de2 yi4
        得罪 de2 zui4
        得失 de2 shi1
        得益 de2 yi4
        得体 de2 ti3
        得力 de2 li4
        难得 nan2 de2
        心得 xin1 de2
        使得 shi3 de2
        所得 suo3 de2
        不得不 bu4 de2 bu4

        # 地 de5 after adverbs (default di4)
        慢慢地 man4 man4 de5
        渐渐地 jian4 jian4 de5
        轻轻地 qing1 qing1 de5
        静静地 jing4 jing4 de5
        默默地 mo4 mo4 de5
        悄悄地 qiao1 qiao1 de5
        好好地 hao3 hao3 de5
        大大地 da4 da4 de5
        认真地 ren4 zhen1 de5
        不断地 bu2 duan4 de5
        逐渐地 zhu2 jian4 de5
        自动地 zi4 dong4 de5
        高兴地 gao1 xing4 de5
        有效地 you3 xiao4 de5
        简单地 jian3 dan1 de5
        积极地 ji1 ji2 de5
        快速地 kuai4 su4 de5
        仔细地 zi3 xi4 de5
        努力地 nu3 li4 de5
        地方 di4 fang5
        本地 ben3 di4
        当地 dang1 di4
        各地 ge4 di4

        # 一 that keeps tone 1, and fixed words with 一
        一个 yi2 ge4
        第一 di4 yi1
        统一 tong3 yi1
        唯一 wei2 yi1
        万一 wan4 yi1
        万一千 wan4 yi4 qian1
        万一百 wan4 yi4 bai3
        之一 zhi1 yi1
        一一 yi1 yi1
        十一 shi2 yi1
        初一 chu1 yi1
        周一 zhou1 yi1
        星期一 xing1 qi1 yi1
        礼拜一 li3 bai4 yi1
        一月 yi1 yue4
        一号 yi1 hao4
        一日 yi1 ri4
        一楼 yi1 lou2
        一等奖 yi1 deng3 jiang3
        一模一样 yi4 mu2 yi2 yang4
        一会儿 yi2 hui4 er5
        一点儿 yi4 dian3 er5
        有点儿 you3 dian3 er5
        看一看 kan4 yi5 kan4
        想一想 xiang3 yi5 xiang3
        试一试 shi4 yi5 shi4
        等一等 deng3 yi5 deng3
        听一听 ting1 yi5 ting1

        # 不 in the neutral tone
        对不起 dui4 bu5 qi3
        差不多 cha4 bu5 duo1
        来不及 lai2 bu5 ji2
        看不见 kan4 bu5 jian4
        听不见 ting1 bu5 jian4
        看不起 kan4 bu5 qi3
        说不定 shuo1 bu5 ding4
        用不着 yong4 bu5 zhao2
        怪不得 guai4 bu5 de5
        舍不得 she3 bu5 de5
        巴不得 ba1 bu5 de5
        不见得 bu2 jian4 de5
        是不是 shi4 bu5 shi4
        好不好 hao3 bu5 hao3
        要不要 yao4 bu5 yao4
        对不对 dui4 bu5 dui4
        能不能 neng2 bu5 neng2
        会不会 hui4 bu5 hui4
        行不行 xing2 bu5 xing2
        可不可以 ke3 bu5 ke3 yi3
        有没有 you3 mei5 you3

        # 和 / 着 / 便 / 处 / 调
        暖和 nuan3 huo5
        附和 fu4 he4
        着急 zhao2 ji2
        睡着 shui4 zhao2
        着火 zhao2 huo3
        着凉 zhao2 liang2
        着迷 zhao2 mi2
        着陆 zhuo2 lu4
        着手 zhuo2 shou3
        着重 zhuo2 zhong4
        着想 zhuo2 xiang3
        衣着 yi1 zhuo2
        执着 zhi2 zhuo2
        沉着 chen2 zhuo2
        便宜 pian2 yi5
        处理 chu3 li3
        处于 chu3 yu2
        处在 chu3 zai4
        处置 chu3 zhi4
        处罚 chu3 fa2
        处分 chu3 fen4
        处境 chu3 jing4
        处方 chu3 fang1
        相处 xiang1 chu3
        调整 tiao2 zheng3
        调试 tiao2 shi4
        调节 tiao2 jie2
        空调 kong1 tiao2
        协调 xie2 tiao2
        调和 tiao2 he2
        调皮 tiao2 pi2
        调解 tiao2 jie3
        调控 tiao2 kong4
        调优 tiao2 you1

        # 应 / 相 / 兴 / 空 / 假 / 种 / 中
        应用 ying4 yong4
        响应 xiang3 ying4
        反应 fan3 ying4
        回应 hui2 ying4
        适应 shi4 ying4
        对应 dui4 ying4
        供应 gong1 ying4
        相应 xiang1 ying4
        效应 xiao4 ying4
        感应 gan3 ying4
        应对 ying4 dui4
        应急 ying4 ji2
        应聘 ying4 pin4
        应答 ying4 da2
        答应 da1 ying5
        照相 zhao4 xiang4
        相机 xiang4 ji1
        真相 zhen1 xiang4
        首相 shou3 xiang4
        相片 xiang4 pian4
        相声 xiang4 sheng5
        兴奋 xing1 fen4
        新兴 xin1 xing1
        兴起 xing1 qi3
        复兴 fu4 xing1
        振兴 zhen4 xing1
        兴建 xing1 jian4
        有空 you3 kong4
        没空 mei2 kong4
        空闲 kong4 xian2
        空白 kong4 bai2
        空格 kong4 ge2
        空缺 kong4 que1
        填空 tian2 kong4
        抽空 chou1 kong4
        假期 jia4 qi1
        放假 fang4 jia4
        请假 qing3 jia4
        暑假 shu3 jia4
        寒假 han2 jia4
        休假 xiu1 jia4
        度假 du4 jia4
        假日 jia4 ri4
        种植 zhong4 zhi2
        种地 zhong4 di4
        种树 zhong4 shu4
        种子 zhong3 zi5
        中奖 zhong4 jiang3
        命中 ming4 zhong4
        击中 ji1 zhong4
        中毒 zhong4 du2
        中暑 zhong4 shu3

        # 差 / 更 / 给 / 会 / 几 / 载 / 校 / 塞 / 角
        差别 cha1 bie2
        差异 cha1 yi4
        差距 cha1 ju4
        差错 cha1 cuo4
        差额 cha1 e2
        误差 wu4 cha1
        偏差 pian1 cha1
        相差 xiang1 cha1
        时差 shi2 cha1
        出差 chu1 chai1
        更新 geng1 xin1
        更改 geng1 gai3
        变更 bian4 geng1
        更换 geng1 huan4
        更正 geng1 zheng4
        供给 gong1 ji3
        给予 ji3 yu3
        补给 bu3 ji3
        会计 kuai4 ji4
        开会 kai1 hui4
        几乎 ji1 hu1
        下载 xia4 zai3
        加载 jia1 zai3
        载入 zai3 ru4
        卸载 xie4 zai3
        转载 zhuan3 zai3
        记载 ji4 zai3
        校验 jiao4 yan4
        校对 jiao4 dui4
        校正 jiao4 zheng4
        校准 jiao4 zhun3
        阻塞 zu3 se4
        堵塞 du3 se4
        角色 jue2 se4
        主角 zhu3 jue2

        # 尽 / 倒 / 恶 / 没 / 薄 / 率 / 当 / 称 / 干 / 分 / 曲 / 难
        尽力 jin4 li4
        尽头 jin4 tou2
        尽情 jin4 qing2
        无尽 wu2 jin4
        用尽 yong4 jin4
        耗尽 hao4 jin4
        倒闭 dao3 bi4
        摔倒 shuai1 dao3
        跌倒 die1 dao3
        倒霉 dao3 mei2
        倒下 dao3 xia4
        恶心 e3 xin5
        可恶 ke3 wu4
        厌恶 yan4 wu4
        没收 mo4 shou1
        淹没 yan1 mo4
        沉没 chen2 mo4
        薄弱 bo2 ruo4
        率领 shuai4 ling3
        率先 shuai4 xian1
        坦率 tan3 shuai4
        当作 dang4 zuo4
        当成 dang4 cheng2
        上当 shang4 dang4
        适当 shi4 dang4
        恰当 qia4 dang4
        对称 dui4 chen4
        称职 chen4 zhi2
        干净 gan1 jing4
        干燥 gan1 zao4
        干杯 gan1 bei1
        饼干 bing3 gan1
        若干 ruo4 gan1
        干扰 gan1 rao3
        干预 gan1 yu4
        干涉 gan1 she4
        成分 cheng2 fen4
        充分 chong1 fen4
        过分 guo4 fen4
        水分 shui3 fen4
        部分 bu4 fen5
        歌曲 ge1 qu3
        作曲 zuo4 qu3
        曲目 qu3 mu4
        灾难 zai1 nan4
        难民 nan4 min2
        测量 ce4 liang2

        # 子 zi3 (Unihan's default is the neutral suffix)
        子女 zi3 nv3
        电子 dian4 zi3
        原子 yuan2 zi3
        分子 fen4 zi3
        粒子 li4 zi3
        量子 liang4 zi3
        离子 li2 zi3
        因子 yin1 zi3
        男子 nan2 zi3
        女子 nv3 zi3
        君子 jun1 zi3
        孔子 kong3 zi3
        王子 wang2 zi3
        太子 tai4 zi3
        弟子 di4 zi3
        子弹 zi3 dan4
        子孙 zi3 sun1
        瓜子 gua1 zi3
        子类 zi3 lei4
        子集 zi3 ji2
        子网 zi3 wang3
        子系统 zi3 xi4 tong3
        子进程 zi3 jin4 cheng2
        子目录 zi3 mu4 lu4
        子节点 zi3 jie2 dian3

        # 头 in the neutral tone
        石头 shi2 tou5
        木头 mu4 tou5
        骨头 gu3 tou5
        馒头 man2 tou5
        枕头 zhen3 tou5
        舌头 she2 tou5
        指头 zhi3 tou5
        念头 nian4 tou5
        码头 ma3 tou5
        里头 li3 tou5
        外头 wai4 tou5

        # Neutral tones
        我们 wo3 men5
        你们 ni3 men5
        他们 ta1 men5
        她们 ta1 men5
        它们 ta1 men5
        咱们 zan2 men5
        人们 ren2 men5
        什么 shen2 me5
        怎么 zen3 me5
        这么 zhe4 me5
        那么 na4 me5
        多么 duo1 me5
        东西 dong1 xi5
        东西方 dong1 xi1 fang1
        朋友 peng2 you5
        时候 shi2 hou5
        知道 zhi1 dao5
        认识 ren4 shi5
        意思 yi4 si5
        事情 shi4 qing5
        衣服 yi1 fu5
        舒服 shu1 fu5
        先生 xian1 sheng5
        学生 xue2 sheng5
        喜欢 xi3 huan5
        告诉 gao4 su5
        明白 ming2 bai5
        清楚 qing1 chu5
        漂亮 piao4 liang5
        聪明 cong1 ming5
        麻烦 ma2 fan5
        客气 ke4 qi5
        休息 xiu1 xi5
        消息 xiao1 xi5
        谢谢 xie4 xie5
        爸爸 ba4 ba5
        妈妈 ma1 ma5
        哥哥 ge1 ge5
        姐姐 jie3 jie5
        弟弟 di4 di5
        妹妹 mei4 mei5
        爷爷 ye2 ye5
        奶奶 nai3 nai5
        叔叔 shu1 shu5
        名字 ming2 zi5
        晚上 wan3 shang5
        早上 zao3 shang5
        眼睛 yan3 jing5
        耳朵 er3 duo5
        嘴巴 zui3 ba5
        尾巴 wei3 ba5
        脑袋 nao3 dai5
        头发 tou2 fa5
        月亮 yue4 liang5
        太阳 tai4 yang5
        窗户 chuang1 hu5
        豆腐 dou4 fu5
        萝卜 luo2 bo5
        葡萄 pu2 tao5
        玻璃 bo1 li5
        钥匙 yao4 shi5
        姑娘 gu1 niang5
        丈夫 zhang4 fu5
        大夫 dai4 fu5
        师傅 shi1 fu5
        生意 sheng1 yi5
        打听 da3 ting5
        商量 shang1 liang5
        打扮 da3 ban5
        收拾 shou1 shi5
        学问 xue2 wen5
        道理 dao4 li5
        规矩 gui1 ju5
        热闹 re4 nao5
        凉快 liang2 kuai5
        痛快 tong4 kuai5
        结实 jie1 shi5
        似的 shi4 de5
        起来 qi3 lai5
        出来 chu1 lai5
        回来 hui2 lai5
        进来 jin4 lai5
        下来 xia4 lai5
        过来 guo4 lai5
        出去 chu1 qu5
        回去 hui2 qu5
        进去 jin4 qu5
        下去 xia4 qu5
        看看 kan4 kan5
        想想 xiang3 xiang5
        试试 shi4 shi5
        这个 zhe4 ge5
        那个 na4 ge5
        哪个 na3 ge5
        这里 zhe4 li5
        那里 na4 li5
        哪里 na3 li5
        这儿 zhe4 er5
        那儿 na4 er5
        哪儿 na3 er5
        玩儿 wan2 er5

        # Other fixed readings
        一只 yi4 zhi1
        两只 liang3 zhi1
        部署 bu4 shu3
        服务 fu2 wu4
        人参 ren2 shen1
        会计师 kuai4 ji4 shi1
        模样 mu2 yang4
        模板 mu2 ban3
        理发 li3 fa4
        反省 fan3 xing3
        挣钱 zheng4 qian2
        和尚 he2 shang5
        提防 di1 fang5
        西藏 xi1 zang4
        宝藏 bao3 zang4
        厦门 xia4 men2
        朝阳 zhao1 yang2
        投降 tou2 xiang2
        将军 jiang4 jun1
        传记 zhuan4 ji4
        曝光 bao4 guang1
        奇数 ji1 shu4
        积累 ji1 lei3
        累计 lei3 ji4
        宁可 ning4 ke3
        宁愿 ning4 yuan4
        宿舍 su4 she4
        咖喱 ga1 li2
        散文 san3 wen2
        """;
}
