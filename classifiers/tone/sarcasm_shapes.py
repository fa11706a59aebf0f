"""Shapes of sarcasm: small named features of an agent's reply and the buyer's message it answers.

The tone model reads characters and words; sarcasm that a writer it never saw puts in other words
still has a shape that carries over: praise or deference joined to a bad outcome or blame (夸 +
亏/怪), an absurd or exaggerated offer, a rhetorical question aimed at the buyer, a grand form of
address used on a buyer who complains, thanks that answer a complaint, advice that is a
put-down. Sincere replies use the same words with a helpful or apologetic outcome, so the
features name that too. Each function reads the normalised reply (and, where it says so, the
buyer's message and its dialogue act) and returns 1.0 when its shape is there, else 0.0; the
second stage (classifiers/tone/sarcasm.py) weighs them with the tone model's probabilities.
The word lists name kinds of wording (praise, deference, exaggeration), not any one reply.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from classifiers.context import Act

# Praise of the buyer or of what they did.
_PRAISE = re.compile(
    "厉害|了不起|佩服|聪明|高明|有学问|眼光|眼力|识货|明察秋毫|天才|天赋|大师|行家|专家"
    "|不愧|真会|太会|可真会|优秀|绝了|牛|学习|榜样|有才|记性真好|精明|讲究|大方|贤惠|能干"
    "|机智|细心|贴心|周到|专业|见多识广|火眼金睛|有品位|讲究人|懂行|内行|真棒|好厉害|真行")
# A bad outcome, a fault or a blame: what mock praise is really about.
_BAD_OUTCOME = re.compile(
    "坏|烂|碎|夹生|干烧|弄丢|搞砸|搞坏|弄坏|错|丢|亏|倒闭|白[买花费]|没用|看不|不看|没看"
    "|怪|折腾|毛病|居然|竟然|连.{0,8}都|都能|还能|漏|脏|糊|焦|掉|塌|裂|作|闹|吵|差评|投诉")
# Deference or grandeur beyond service courtesy: servile self-reference, titles, court speech.
_GRAND = re.compile(
    "您老|大人|小的|遵命|失敬|贵客|驾到|蓬荜生辉|恩人|祖宗|大爷|老佛爷|少爷|大小姐|公主"
    "|女王|上帝|陛下|皇上|圣旨|大佬|大神|贵人|高人|阁下|您请便|伺候|恭候|领导|菩萨|财神"
    "|大驾|光临寒舍|指导我们|教育了|赐教|请教|高见|尊贵|至尊|老人家|您说了算")
# A question that answers itself, aimed at the buyer.
_RHETORICAL = re.compile(
    "难道|难不成|不会吧|还用问|还用说|不是吗|怎么不|谁让|谁叫|不然呢|你说呢|您说呢|莫非|岂"
    "|何必|至于吗|有必要吗|总不能|哪配|怎么可能|又不是|能不能先|是不是没|不会.{0,6}吧"
    "|还.{0,8}吗[？?]|就不能|凭什么|那又怎样|您觉得呢|你觉得呢")
# An absurd or exaggerated offer or picture.
_ABSURD = re.compile(
    "干脆|要不|不如|打包带走|无人机|降落伞|专线|现做|心理咨询|供起来|八抬大轿|磕|跪|给您造"
    "|专门为您|全世界|天下|史上|一辈子|八辈子|十八|五体投地|一百|一千|一万|几万|整个|上天"
    "|飞过去|背着|亲自上门|开光|发明|奥运|诺贝尔|博物馆|传家宝|申请专利|吉尼斯|外星")
# Giving in without meaning it.
_CONCESSION = re.compile(
    "您说得对|您说的对|您说的都对|你说得对|对对对|是是是|行行行|好好好|您高兴就好|开心就好"
    "|随您|您随意|都怪我|是我太|是我们太|都是我们的错|您说啥是啥|听您的听您的|您赢了|服了")
# Advice or instruction that talks down.
_PUTDOWN = re.compile(
    "建议您|下次|记得|学会|认真|仔细|看清楚|看得进去|识字|常识|动动脑|多读|多看|小学|幼儿园"
    "|一般人|就怕没人看|写得明明白白|写的明明白白|白纸黑字|自己看|自己查|您自己|你自己"
    "|别人都|大家都|都知道|基本的|起码")
# Irony's particles and gestures.
_IRONY = re.compile("呵呵|哎呀|哎呦|哟|呦|啧|可真|还真|真是|果然|可惜|当然|毕竟|托您的福"
                    "|不得不说|真不愧|🙂|😊|👏|😅|🙃")
# Help, apology or care: the sincere outcome of the same words.
_HELP = re.compile(
    "抱歉|不好意思|对不起|给您带来|马上|帮您|为您|给您(?:补|退|换|安排|处理|申请|发|寄|送|查)"
    "|处理|补发|退款|换货|联系|核实|放心|负责|登记|催|查了|安排|承担|赔付|理解您|辛苦")
_THANKS = re.compile("谢谢|感谢|多谢|谢了|感恩")
# The buyer's message complains or blames (beyond the dialogue act's own reading).
_COMPLAINT_WORDS = re.compile(
    "坏|烂|破|差|慢|错|假|骗|退|投诉|差评|怎么还|为什么|凭什么|不行|不好|不对|不能|没收到"
    "|太小|太大|太贵|太久|漏|脏|问题|失望|垃圾|坑|气死|无语")
# A sentence boundary: the shapes below join words within one clause or sentence.
_CLAUSE = "[^,.!?;，。！？；~～]"
# A pointer to a cheaper, lower or rougher place or thing, which sends the buyer there.
_LOWER_PLACE = re.compile(
    "地摊|路边摊|夜市|菜市场|批发市场|小商品市场|二手市场|废品|收破烂|两元店|十元店|九块九"
    "|一块钱|几块钱|十块钱|小卖部|义乌|山寨|杂牌|便宜货|拼夕夕|捡漏|论斤|白送的")
_GO_ELSEWHERE = re.compile(
    "(?:去|找|到|上|在)" + _CLAUSE + "{0,4}(?:别家|隔壁|别的店|其他店|外面|对面|楼下)"
    "|(?:别家|隔壁|别的店|其他店)" + _CLAUSE + "{0,6}(?:买|看看|问问)(?:吧|呗|呀|啊|去)"
    "|更适合您|比较适合您|才适合您")
# The buyer's schooling, age, eyesight or wits: what a sneer behind reassurance is about.
_ABILITY = re.compile(
    "识字|认字|认得字|上过学|上学|文化|学历|教育|小学|初中|幼儿园|三岁|小孩子都|小朋友都"
    "|老花|眼神|岁数|年纪大|上了年纪|年纪|老年|脑子|脑袋|智商|理解能力|反应|学不会"
    "|看得懂|看不懂|读得懂|读不懂|中文|拼音|说明书|手机都|智能机")
# Feigned reassurance: comfort that is the vehicle of the sneer, or its sincere use.
_REASSURE = re.compile(
    "没关系|没事|不怪您|不怪你|正常|理解|难免|不丢人|很难|挺难|有点难|确实难|慢慢来|慢慢学"
    "|别着急|不着急|别灰心|放心|能理解|可以理解|谁都|都会")
# A blessing or good wish joined to a bad fate in the same clause.
_WISH = re.compile("祝|愿|保佑|祈祷|但愿|希望您|希望你|恭喜")
_BAD_FATE = re.compile(
    "最后一次|再也|别再|不要再|没有下次|别回来|不会再来|走好|倒霉|出事|摔|生病|破产|碰上"
    "|遇上|踩坑|吃亏|上当|后悔|好运|运气|好人有好报|长命|早日|一路")
# A yes whose rest takes it back: luck, dreams, a joke, an impossible condition.
_YES_START = re.compile("^(?:亲[,，]?)?(?:可以|行|能|好的|好呀|好啊|有的|有啊|当然|会的|卖的"
                        "|包的|没问题|是的|对的|嗯嗯|成)")
_TAKEN_BACK = re.compile(
    "运气|缘分|随缘|看命|看天|做梦|梦里|想得美|想多了|下辈子|开玩笑|逗您|逗你|不可能|就是不"
    "|只是不|但不|除非|前提是您|等您|靠您|玄学|奇迹|碰碰|撞大运|烧香|许愿")
# Mock patience: waiting or saving for an absurd length of time.
_MOCK_PATIENCE = re.compile(
    "(?:慢慢|等|攒|考虑|想|存)" + _CLAUSE + "{0,6}(?:几年|三五年|两年|十年|半年|一辈子|下辈子"
    "|退休|到老|八辈子|百年)|慢慢攒|攒攒|存钱")
# An offer put as a question that expects no answer (要不我们…？): the absurd offer's form.
_OFFER_QUESTION = re.compile(
    "(?:要不|要不要|干脆|不如|顺便|需不需要我们?|要我们)[^.!?。！？]{0,30}[?？]")
# A yes, then a turn that takes part of it back (能的，就是…): a real condition names help.
_TURN = re.compile("就是|只是|不过|但是|可惜")
# Praise by comparison with a professional or the shop itself (比调香师还灵, 比我们财务还精),
# or the buyer set below a cheap thing (比起您出的价).
_COMPARISON = re.compile(
    "比" + _CLAUSE + "{1,10}还(?:要)?" + _CLAUSE + "{0,3}(?:灵|精|准|厉害|专业|懂|会|快|细|仔细"
    "|认真|强|能|聪明|在行|新|值钱|保值)|比起您|比起你|比您那")
# A guess about the buyer's future or motives (估计您…, 按您这速度…).
_SPECULATION = re.compile(
    "(?:估计|恐怕|怕是|说不定|没准|八成|看来)" + _CLAUSE + "{0,6}(?:您|你|亲)"
    "|(?:按照?|照)(?:您|你)" + _CLAUSE + "{0,8}(?:速度|频率|样子|水平|架势|节奏)")
# Help made concrete: a step, an amount, a time, a thing sent, a person sent, a cost borne.
_CONCRETE_HELP = re.compile(
    "马上|立刻|今天|明天|这就|已经|我这边|我们这边|我来|我给您|我帮您|帮您|给您(?:补|退|换|发|寄"
    "|送|安排|申请|处理|查|录|拍|写|备注|预留|留)|免费|运费我们|我们(?:出|承担|包|负责|来)"
    "|补发|补寄|重新发|换新|退款|上门|师傅|技术员|配件|视频|教程|步骤|一步一步")
_SECOND_PERSON = re.compile("您|你")
_QUESTION_END = re.compile("[？?]")
_QUOTE = re.compile("[“”\"「」『』]")
_ELLIPSIS = re.compile("…|\\.{3}|。。")


def _found(pattern: re.Pattern[str], text: str) -> float:
    return 1.0 if pattern.search(text) else 0.0


def praise(reply: str) -> float:
    """Praise of the buyer or of what they did (您真厉害, 有眼光)."""
    return _found(_PRAISE, reply)


def praise_with_bad_outcome(reply: str) -> float:
    """Praise joined to a bad outcome or blame in the same reply (真厉害…都能弄坏)."""
    return praise(reply) * _found(_BAD_OUTCOME, reply)


def grand_address(reply: str) -> float:
    """Deference or grandeur beyond service courtesy (您老, 小的, 贵客驾到, 遵命)."""
    return _found(_GRAND, reply)


def rhetorical_question(reply: str) -> float:
    """A question that answers itself (难道…, 总不能…吧, 还用问)."""
    return _found(_RHETORICAL, reply)


def question_at_buyer(reply: str) -> float:
    """A question addressed to the buyer (您/你 and a question mark)."""
    return _found(_SECOND_PERSON, reply) * _found(_QUESTION_END, reply)


def absurd_offer(reply: str) -> float:
    """An absurd or exaggerated offer or picture (给您开无人机专线, 五体投地, 一辈子)."""
    return _found(_ABSURD, reply)


def mock_concession(reply: str) -> float:
    """Giving in without meaning it (对对对, 您高兴就好, 都怪我)."""
    return _found(_CONCESSION, reply)


def putdown_advice(reply: str) -> float:
    """Advice or instruction that talks down (建议您下次看清楚, 一般人都知道)."""
    return _found(_PUTDOWN, reply)


def irony_marker(reply: str) -> float:
    """Irony's particles and gestures (呵呵, 哎呦, 托您的福, 🙂)."""
    return _found(_IRONY, reply)


def offers_help(reply: str) -> float:
    """Help, apology or care: what sincere replies with the same words lead to."""
    return _found(_HELP, reply)


def praise_without_help(reply: str) -> float:
    """Praise with no help or apology after it: praise that is the whole point."""
    return praise(reply) * (1.0 - offers_help(reply))


def quotes_buyer(reply: str) -> float:
    """Quotation marks: a word of the buyer's or the shop's held up at arm's length."""
    return _found(_QUOTE, reply)


def trailing_off(reply: str) -> float:
    """An ellipsis (…, 。。): the unsaid part of a remark."""
    return _found(_ELLIPSIS, reply)


def sends_elsewhere(reply: str) -> float:
    """A pointer to a lower or cheaper place or thing, or to another shop (地摊上有便宜的, 您去别家
    看看吧): with no help beside it, the buyer is being sent away."""
    return max(_found(_LOWER_PLACE, reply), _found(_GO_ELSEWHERE, reply))


def sends_elsewhere_without_help(reply: str) -> float:
    """Sent elsewhere with no concrete help in the reply (the sincere pointer to a cheaper option
    names it and offers to help)."""
    return sends_elsewhere(reply) * (1.0 - concrete_help(reply))


def ability_sneer(reply: str) -> float:
    """Reassurance about the buyer's schooling, age, eyesight or wits in one reply (不怪您，说明书
    确实要识字): the sincere counterpart reassures about the step, not the person."""
    return _found(_ABILITY, reply) * _found(_REASSURE, reply)


def ability_remark(reply: str) -> float:
    """The buyer's schooling, age, eyesight or wits mentioned at all."""
    return _found(_ABILITY, reply)


def bad_wish(reply: str) -> float:
    """A blessing joined to a bad fate in one clause (祝您下回别再碰上这种事…)."""
    for match in _WISH.finditer(reply):
        clause = re.match(_CLAUSE + "{0,16}", reply[match.end():])
        if clause and _BAD_FATE.search(clause.group()):
            return 1.0
    return 0.0


def mock_yes(reply: str) -> float:
    """A yes whose rest takes it back (可以呀，看您运气; 有的，梦里有): yes, then luck, a dream, a
    joke or an impossible condition."""
    return _found(_YES_START, reply) * _found(_TAKEN_BACK, reply)


def yes_but_without_help(reply: str) -> float:
    """A yes, then a turn (就是, 不过), and no concrete help: the sincere "yes, on this
    condition" says what the shop will do or what the buyer should send."""
    return _found(_YES_START, reply) * _found(_TURN, reply) * (1.0 - concrete_help(reply))


def mock_comparison(reply: str) -> float:
    """The buyer compared up to a professional (比…还灵) or down to a cheap thing (比起您出的价)."""
    return _found(_COMPARISON, reply)


def speculates_on_buyer(reply: str) -> float:
    """A guess about the buyer (估计您…, 按您这速度…)."""
    return _found(_SPECULATION, reply)


def mock_patience(reply: str) -> float:
    """Patience stretched to years (您慢慢攒, 考虑个三五年也行)."""
    return _found(_MOCK_PATIENCE, reply)


def offer_question(reply: str) -> float:
    """An offer put as a question (要不我们…？, 要不要顺便…？)."""
    return _found(_OFFER_QUESTION, reply)


def concrete_help(reply: str) -> float:
    """Help made concrete: a step, an amount, a time, a part or person sent, a cost borne."""
    return _found(_CONCRETE_HELP, reply)


def praise_for_complaint_without_help(reply: str, context: str | None,
                                      act: Act | None) -> float:
    """Praise or thanks answering a complaint with no concrete help after it. Sincere praise
    after a buyer's report (您眼真尖，谢谢您告诉我们) goes on to what the shop will do."""
    return praise_for_complaint(reply, context, act) * (1.0 - concrete_help(reply))


def buyer_complains(context: str | None, act: Act | None) -> float:
    """The buyer's message complains or blames (its act, or complaint words in it)."""
    if context is None:
        return 0.0
    return 1.0 if act is Act.COMPLAINT or _COMPLAINT_WORDS.search(context) else 0.0


def buyer_thanks(context: str | None, act: Act | None) -> float:
    """The buyer's message thanks or praises (so praise in answer is an exchange)."""
    if context is None:
        return 0.0
    return 1.0 if act is Act.THANKS or _THANKS.search(context) or _PRAISE.search(context) \
        else 0.0


def no_buyer_message(context: str | None, act: Act | None) -> float:
    """The reply's buyer message is unknown."""
    return 1.0 if context is None else 0.0


def praise_for_complaint(reply: str, context: str | None, act: Act | None) -> float:
    """Praise or thanks in answer to a complaint (谢谢您的指导 to 你们能不能认真点)."""
    kind = max(praise(reply), _found(_THANKS, reply))
    return kind * buyer_complains(context, act)


def deference_for_complaint(reply: str, context: str | None, act: Act | None) -> float:
    """Grand address or mock concession in answer to a complaint."""
    return max(grand_address(reply), mock_concession(reply)) * buyer_complains(context, act)


def praise_for_thanks(reply: str, context: str | None, act: Act | None) -> float:
    """Praise in answer to thanks or praise: the sincere exchange."""
    return praise(reply) * buyer_thanks(context, act)


# The reply's shapes, then the shapes of the pair, by name: the second stage's features (the
# model file names them; a name it does not know is refused at load).
REPLY_SHAPES: dict[str, Callable[[str], float]] = {
    f.__name__: f for f in (praise, praise_with_bad_outcome, grand_address, rhetorical_question,
                            question_at_buyer, absurd_offer, mock_concession, putdown_advice,
                            irony_marker, offers_help, praise_without_help, quotes_buyer,
                            trailing_off, sends_elsewhere, sends_elsewhere_without_help,
                            ability_sneer, ability_remark, bad_wish, mock_yes,
                            yes_but_without_help, mock_comparison, speculates_on_buyer,
                            mock_patience, offer_question, concrete_help)}
PAIR_SHAPES: dict[str, Callable[[str, str | None, Act | None], float]] = {
    f.__name__: f for f in (praise_for_complaint, deference_for_complaint, praise_for_thanks,
                            praise_for_complaint_without_help)}
CONTEXT_SHAPES: dict[str, Callable[[str | None, Act | None], float]] = {
    f.__name__: f for f in (buyer_complains, buyer_thanks, no_buyer_message)}


def shape_features(reply: str, context: str | None, act: Act | None) -> dict[str, float]:
    """Every shape of (reply, buyer message) by name: training and inference both read this."""
    features = {name: f(reply) for name, f in REPLY_SHAPES.items()}
    features.update((name, f(reply, context, act)) for name, f in PAIR_SHAPES.items())
    features.update((name, f(context, act)) for name, f in CONTEXT_SHAPES.items())
    return features
