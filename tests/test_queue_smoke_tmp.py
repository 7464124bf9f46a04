from tests.review_support import make_item, claim, decide

def test_smoke(app, client, signed_in, redis_conn):
    mod = signed_in("moderator")
    iid = make_item(app, scores={"harassment": 0.9, "hate": 0.1, "threat": 0.05, "sexual": 0.0, "grooming": 0.0, "self_harm": 0.0, "profanity": 0.2})
    r = client.get("/queue")
    assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    print(r.get_data(as_text=True)[-4000:])
    r = client.get(f"/queue/{iid}")
    assert r.status_code == 200, r.get_data(as_text=True)[:3000]
    r = claim(client, iid)
    assert r.status_code == 302
    html = client.get(f"/queue/{iid}").get_data(as_text=True)
    assert "Record decision" in html, html
    r = decide(client, iid)
    assert r.status_code == 302, r.get_data(as_text=True)

def test_dump(app, client, signed_in, redis_conn):
    signed_in("moderator")
    iid = make_item(app, flags=[("u1","student","grooming")], scores={"harassment": 0.2, "grooming": 0.95, "self_harm": 0.1}, chat_kind="one_to_one", audience="under13")
    claim(client, iid)
    html = client.get(f"/queue/{iid}").get_data(as_text=True)
    open("/tmp/item.html","w").write(html)
    open("/tmp/queue.html","w").write(client.get("/queue").get_data(as_text=True))
