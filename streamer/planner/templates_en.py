"""English lines, one pool of parts (lead-in, core, tail) per segment kind; see ``phrasing``.

Same rules as the Chinese pools: one short spoken sentence (about 16 words at most after filling), numbers only
through fields, no superlatives, guarantees, endorsements or efficacy claims, no first-person usage claims, no
invented urgency. A lead ends with ", " (or ": "), a tail starts with ", "; the sentence's capital comes last.
The product is said through grammar fields (``grammar_en.NounForms``) so that any name reads right:
{the_name} {a_name} {this_name} {it} {them} {its} {is} {has}; {name} is the bare name.
Selling points come in two shapes: a verb phrase ("keeps drinks cold", made to agree: "they keep drinks cold")
fills ``point_verb``, a noun phrase ("leak-proof flip lid") fills ``point_noun``. {spec_is} agrees with the spec name.
Other fields: {host} {point} {spec_name} {spec_value} {price} {list_price} {saving} {promo} {stock} {link}
{shipping} {after_sales} {q} {a} {viewer}.
"""

from __future__ import annotations

from .phrasing import Parts
from .timing import Daypart

_SOFT = ("", "", "", "Okay, ", "Alright, ", "So, ", "Now, ")
_THEN = ("", "", "Also, ", "And, ", "One more thing, ", "Oh, and, ")
_ASK = (", ask me anything in the chat", ", drop your questions in the chat", ", hit follow if you like",
        ", follow along so you don't miss anything", ", take your time and look around", ", tell me what you want to see")

EN: dict[str, Parts] = {
    "welcome": Parts(
        leads=("", "", "Hey, ", "Hi there, ", "Hello, ", "Alright, "),
        cores=("welcome in, I'm {host}", "welcome to the stream, I'm {host}", "just joined? I'm {host}, welcome",
               "welcome to the live, {host} here", "good to see you all, I'm {host}", "this is {host}'s live shop",
               "{host} here with some useful finds", "{host} here, glad you stopped by", "if you just joined, I'm {host}",
               "welcome back to the stream, I'm {host}", "{host} here, thanks for dropping in",
               "welcome, everyone, {host} with you today"),
        tails=("",) + _ASK + (", let's look at today's finds", ", make yourself comfortable"),
        dayparts={Daypart.MORNING: ("Good morning, ", "Morning, everyone, "),
                  Daypart.NOON: ("Hey, lunch crowd, ", "Happy lunch break, "),
                  Daypart.AFTERNOON: ("Good afternoon, ", "Afternoon, everyone, "),
                  Daypart.EVENING: ("Good evening, ", "Evening, everyone, "),
                  Daypart.NIGHT: ("Hey, night owls, ", "Still up? ")},
    ),
    "clock_morning": Parts(
        cores=("good morning, everyone", "morning, and thanks for starting your day here",
               "good morning, coffee in hand? let's go", "early birds, good morning",
               "good morning, let's keep it quick and useful", "morning, everyone, nice to see you this early"),
        tails=("",) + _ASK,
    ),
    "clock_noon": Parts(
        cores=("happy lunchtime, everyone", "lunch break? good timing", "hey, lunch crowd, welcome",
               "it's lunchtime, so let's keep it easy", "grab a bite and hang out for a bit", "midday already, hi everyone"),
        tails=("",) + _ASK,
    ),
    "clock_afternoon": Parts(
        cores=("good afternoon, everyone", "afternoon break? you're in the right place", "hi, afternoon crowd",
               "good afternoon, grab a cup of tea and hang out", "afternoon, everyone, let's take it easy",
               "need an afternoon break? stay a while"),
        tails=("",) + _ASK,
    ),
    "clock_evening": Parts(
        cores=("good evening, everyone", "evening, hope your day went well", "good evening, time to unwind",
               "evening, everyone, thanks for spending it here", "good evening, long day? relax for a bit",
               "hey, evening crowd, welcome"),
        tails=("",) + _ASK,
    ),
    "clock_night": Parts(
        cores=("hey, night owls", "still up? thanks for keeping me company", "late night crew, hi",
               "it's getting late, thanks for hanging out", "good evening to everyone up late",
               "late-night browsing? no rush"),
        tails=("", ", ask me anything in the chat", ", get some rest soon", ", hit follow if you like"),
    ),
    "room_join": Parts(
        leads=("", "Oh, ", "Hey, "),
        cores=("welcome to everyone who just joined", "new faces in the chat, welcome", "hi to all the newcomers",
               "welcome, new friends", "just joined? welcome"),
        tails=(", we're talking about {the_name}", ", right now it's {the_name}", ", hit follow if you like",
               ", ask me anything in the chat", ", you're just in time for {the_name}"),
    ),
    "room_gift": Parts(
        cores=("thank you, {viewer}, for the gift", "thanks for the gift, {viewer}", "{viewer}, thank you for the support",
               "thanks to everyone sending gifts", "thank you all for the gifts", "thanks for the support, everyone"),
        tails=("", ", that's very kind", ", much appreciated", ", you're too kind"),
    ),
    "room_questions": Parts(
        cores=("I see your questions in the chat", "thanks for all the questions", "lots of good questions coming in"),
        tails=(", keep them coming", ", I'll get to them", ", ask again if I missed yours"),
    ),
    "hook": Parts(
        leads=_SOFT + ("Listen up, ",),
        cores=("if you've been looking for {a_name}, stay with me", "let's talk about {the_name} for a minute",
               "here's one worth a closer look: {the_name}", "don't scroll away yet, {the_name} {is} up",
               "spotlight on {the_name}", "this next part is all about {the_name}", "let me walk you through {the_name}",
               "up now, {the_name}", "stick around for {the_name}", "let's look at {the_name}",
               "one of today's highlights: {the_name}", "shopping for {a_name}? then listen"),
        tails=("", "", ", it won't take long", ", I'll keep it quick", ", here's the rundown", ", let's get into it"),
    ),
    "scene": Parts(
        leads=("", "", "Honestly, ", "Think about it, ", "So, "),
        cores=("picking {a_name} is all about the details", "when you buy {a_name}, you want {them} to just work",
               "whether it's for you or a gift, {the_name} can fit right in", "looking past the looks, let's check what matters",
               "if you use {a_name} every day, the small things add up", "before you buy, it pays to know the details",
               "here's what to look for in {a_name}", "lots of people overthink {a_name}, so let's keep it simple",
               "{a_name} should be easy to live with", "choosing {a_name} comes down to a few things",
               "everyone has an idea of what {a_name} should do", "the right {name} saves you little hassles",
               "for {a_name}, the details matter"),
        tails=("", "", ", so let's see", ", so let's take a look", ", let's break it down", ", here's how to check",
               ", and that's what we'll look at", ", so stay with me"),
    ),
    "intro": Parts(
        leads=("", "", "Okay, ", "Alright, ", "So, "),
        cores=("here {is} {the_name}", "take a look at {the_name}", "on screen now, {the_name}", "let me show you {the_name}",
               "come a little closer and check out {the_name}", "{this_name} {is} what we have today", "say hello to {the_name}",
               "right here, {the_name}", "have a look at {the_name}", "meet {the_name}", "up close now, {the_name}",
               "this is today's pick, {the_name}"),
        tails=("", "", ", take a good look", ", details coming up", ", let's get a closer look", ", look at the shape",
               ", have a good look", ", more on it in a second", ", let's see what {it} can do"),
    ),
    "point_verb": Parts(
        leads=_SOFT + ("Plus, ",),
        cores=("{it} {point}", "first thing to know, {it} {point}", "here's a good one: {it} {point}", "here's one more: {it} {point}",
               "worth knowing, {it} {point}", "another thing, {it} {point}", "quick highlight, {it} {point}",
               "the nice part is, {it} {point}", "keep this in mind, {it} {point}", "on top of that, {it} {point}",
               "people ask about this: {it} {point}", "good to know: {it} {point}"),
        tails=("", "", ", which is really practical", ", handy for everyday use", ", a nice detail",
               ", worth keeping in mind", ", and that's a big part of the appeal", ", simple as that",
               ", which makes life easier", ", that's a nice touch"),
    ),
    "point_noun": Parts(
        leads=_SOFT,
        cores=("check this out: {point}", "next up, {point}", "a detail worth noticing: {point}", "another thing: {point}",
               "quick highlight: {point}", "here's a practical one: {point}", "you also get this: {point}",
               "worth pointing out: {point}", "take note: {point}", "here's a nice touch: {point}",
               "one of its strengths: {point}", "also worth a mention: {point}"),
        tails=("", "", ", really practical", ", handy every day", ", a nice detail", ", worth keeping in mind",
               ", simple but useful", ", which makes life easier"),
    ),
    "spec": Parts(
        leads=("", "", "On specs, ", "Quick spec check, ", "For the details, ", "Now, "),
        cores=("the {spec_name} {spec_is} {spec_value}", "{spec_name}: {spec_value}", "for the {spec_name}, it's {spec_value}",
               "if you're wondering about {spec_name}, it's {spec_value}", "here's the {spec_name}: {spec_value}",
               "{its} {spec_name} {spec_is} {spec_value}", "as for {spec_name}, {spec_value}",
               "noting the {spec_name}: {spec_value}", "{spec_name}-wise, {spec_value}", "the {spec_name}? {spec_value}"),
        tails=("", "", ", in case you're comparing", ", good to know before you order",
               ", so check it fits your needs", ", for those who like the details", ", worth a note"),
    ),
    "price_anchor": Parts(
        leads=("", "", "Price time, ", "Okay, ", "So, ", "Here's the deal, ", "Now, ", "Alright, "),
        cores=("it usually sells for {list_price}, today it's {price}", "regular price {list_price}, on the live {price}",
               "normally {list_price}, right now {price}", "the list price is {list_price}, and today you pay {price}",
               "instead of {list_price}, it's {price} today", "usually {list_price}, on this stream it's {price}",
               "regular {list_price}, today {price}", "it's {price} today, down from the regular {list_price}",
               "you'd normally pay {list_price}, but today it's {price}", "{list_price} regular, {price} now",
               "not {list_price}, today it's {price}", "down from {list_price} to {price}", "was {list_price}, now {price}",
               "{price} today, {list_price} normally", "from {list_price} down to {price} today"),
        tails=("", "", ", just so you know", ", if it's on your list", ", worth a look", ", do the math"),
    ),
    "price": Parts(
        leads=("", "", "Price time, ", "Okay, ", "So, ", "Here's the deal, ", "Now, ", "Alright, "),
        cores=("today's price is {price}", "it's {price} on the live right now", "you can get it for {price} today",
               "the price is simple: {price}", "right now it's {price}", "on this stream, {price}", "it comes in at {price}",
               "it's {price}", "you can grab it for {price}", "all yours for {price}", "just {price} today",
               "the live price is {price}", "{price} is the price today"),
        tails=("", "", ", just so you know", ", if it's on your list", ", worth a look", ", nice and simple"),
    ),
    "saving": Parts(
        leads=("", "", "So, ", "Do the math, ", "In other words, "),
        cores=("that's {saving} off the regular price", "you save {saving}", "you keep {saving} in your pocket",
               "that works out to {saving} less than usual", "that's a saving of {saving}",
               "compared to the regular price, you save {saving}", "that's {saving} saved", "that's {saving} cheaper than normal",
               "you're paying {saving} less today", "put the {saving} you save toward something else"),
        tails=("", "", ", not bad at all", ", worth knowing", ", if you've had your eye on it"),
    ),
    "promo": Parts(
        leads=_THEN,
        cores=("there's a bonus: {promo}", "today's offer: {promo}", "don't forget, {promo}", "here's the deal: {promo}",
               "one more perk, {promo}", "offer reminder: {promo}", "also on today's stream, {promo}", "good news, {promo}",
               "on top of the price, {promo}", "the offer: {promo}", "there's more: {promo}", "a little extra: {promo}",
               "and here's the perk: {promo}", "today's bonus: {promo}", "with your order today, {promo}",
               "the live offer: {promo}"),
        tails=("", "", ", check the order page for details", ", keep that in mind", ", worth knowing"),
    ),
    "urgency": Parts(
        leads=("", "", "Heads up, ", "Stock check, ", "Just so you know, "),
        cores=("we have {stock} units in stock", "there are {stock} in stock for this stream", "stock is {stock} units",
               "we've got {stock} available right now", "{stock} units in stock", "there are {stock} units ready to ship",
               "we set aside {stock} units for today", "quantities are limited to {stock} units", "we have {stock} on hand",
               "the stock is {stock} units"),
        tails=("", "", ", order what you need", ", grab what you need", ", first come, first served"),
    ),
    "cta": Parts(
        leads=("", "", "Want {them}? ", "Ready? ", "Okay, ", "Like what you see? ", "So, ", "Alright, ", "Interested? ",
               "Need {them}? ", "Now, "),
        cores=("tap link number {link} to order", "it's link {link} in the cart", "head to link {link}",
               "link {link}, that's where to order", "open the cart and tap link {link}", "you'll find it at link {link}",
               "to grab it, tap link {link}", "link {link} is live, go ahead and order", "find link {link} in the cart",
               "it's link {link}", "order through link {link} below", "just tap link {link} to check out",
               "link {link} is the one", "go for link {link}", "look for link {link}", "link {link} in the cart"),
        tails=("", "", ", check the details before you buy", ", questions welcome in the chat", ", no rush",
               ", easy as that", ", right there in the cart", ", take your time", ", that's the one",
               ", just a tap away"),
    ),
    "cta_nolink": Parts(
        leads=("", "", "Want {them}? ", "Ready? ", "Okay, ", "Like what you see? "),
        cores=("tap the cart below to order", "it's in the cart right now", "open the cart", "head to the cart",
               "you'll find it in the shopping cart", "open the cart and check out", "it's live in the cart, go ahead",
               "tap the shopping bag to buy", "order it from the cart below", "the cart is open"),
        tails=("", "", ", check the details before you buy", ", questions welcome in the chat", ", no rush"),
    ),
    "shipping": Parts(
        leads=_THEN,
        cores=("on shipping: {shipping}", "shipping details: {shipping}", "about delivery, {shipping}",
               "quick note on shipping: {shipping}", "for delivery: {shipping}", "as for shipping, {shipping}",
               "shipping-wise, {shipping}", "here's how shipping works: {shipping}", "on delivery times: {shipping}",
               "if you're wondering about shipping, {shipping}", "delivery: {shipping}", "shipping: {shipping}",
               "once you order, {shipping}", "a word on shipping: {shipping}", "how it ships: {shipping}"),
        tails=("", "", ", good to know", ", just so you know", ", keep that in mind"),
    ),
    "after_sales": Parts(
        leads=_THEN,
        cores=("on returns: {after_sales}", "after-sales support: {after_sales}", "for peace of mind: {after_sales}",
               "if it's not right for you, {after_sales}", "about returns, {after_sales}", "the return policy: {after_sales}",
               "for support after you buy, {after_sales}", "worried about returns? {after_sales}",
               "as for after-sales, {after_sales}", "return policy check: {after_sales}", "returns: {after_sales}",
               "after you buy, {after_sales}", "a word on returns: {after_sales}", "support-wise, {after_sales}",
               "on after-sales, {after_sales}"),
        tails=("", "", ", good to know", ", just so you know", ", keep that in mind"),
    ),
    "faq_q": Parts(
        leads=("", "", "Oh, ", "Now, ", "Okay, ", "So, ", "Alright, ", "Next, ", "Right, "),
        cores=("people often ask: {q}?", "a common question: {q}?", "someone always asks: {q}?",
               "let me answer this one: {q}?", "here's a question we get a lot: {q}?", "you might be wondering: {q}?",
               "frequently asked: {q}?", "good question that comes up: {q}?", "quick FAQ: {q}?",
               "one more question people ask: {q}?", "this comes up a lot: {q}?", "a question from earlier: {q}?",
               "let's clear this up: {q}?", "many of you ask: {q}?"),
    ),
    "faq_q_room": Parts(
        leads=("", "Oh, ", "Okay, "),
        cores=("someone just asked: {q}?", "a question from the chat: {q}?", "I saw this in the chat: {q}?",
               "you asked: {q}?", "from the comments: {q}?"),
    ),
    "faq_a": Parts(
        leads=("", "", "Well, ", "So, ", "Okay, "),
        cores=("{a}", "the answer: {a}", "short answer: {a}", "to answer that: {a}", "simply put: {a}",
               "here's the answer: {a}", "here's what to know: {a}", "in short: {a}", "the short version: {a}",
               "good question: {a}", "here's the thing: {a}", "to keep it simple: {a}"),
        tails=("", "", ", hope that helps", ", ask if you have more questions", ", good question"),
    ),
    "transition": Parts(
        leads=("", "", "Alright, ", "Okay, ", "Now, "),
        cores=("next up, {the_name}", "let's move on to {the_name}", "switching over to {the_name}", "next, {the_name}",
               "time for {the_name}", "let's change it up with {the_name}", "moving along, here's {the_name}",
               "now for something different: {the_name}", "next item on the list, {the_name}", "on to {the_name}"),
        tails=("", "", ", let's take a look", ", have a look", ", here we go"),
    ),
    "recap": Parts(
        leads=("", "", "Okay, ", "Alright, ", "So, ", "Now, "),
        cores=("back to today's main pick, {the_name}", "for everyone who just joined, {the_name} again",
               "let's take another look at {the_name}", "quick recap on {the_name}", "circling back to {the_name}",
               "one more time, {the_name}", "if you missed it, here's {the_name} again", "back to {the_name} for a moment",
               "don't forget {the_name}", "revisiting {the_name}"),
        tails=("", "", ", in case you missed it", ", the short version"),
    ),
    "sold_out": Parts(
        leads=("", "", "Heads up, ", "Just so you know, ", "Sorry, everyone, ", "Quick note, ", "Okay, ", "So, "),
        cores=("{the_name} {is} sold out right now", "{the_name} {is} out of stock at the moment",
               "{this_name} {is} sold out for now", "we're out of {the_name} right now", "{the_name} {is} currently sold out",
               "no stock left of {the_name} at the moment", "{the_name} sold out", "{the_name} {is} all gone for now",
               "there's no {name} left in stock", "{the_name} can't be ordered right now, {it} sold out",
               "{this_name} sold out", "we have no {name} in stock right now"),
        tails=("", "", ", but let me tell you about {them}", ", so no need to order today",
               ", hit follow to hear if that changes", ", here's what {it} {is} like anyway", ", sorry about that",
               ", thanks for understanding"),
    ),
}
