package gateway_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/promptform/promptform/gateway"
	"github.com/promptform/promptform/gateway/gatewaytest"
)

func ExampleClient_Chat() {
	srv := gatewaytest.NewServer() // a fake gateway on loopback
	defer srv.Close()

	client := gateway.New(gateway.Config{BaseURL: srv.URL(), APIKey: "test-key"})
	temp := 0.0
	resp, err := client.Chat(context.Background(), &gateway.Request{
		Model:       "claude-haiku-4-5-20251001",
		Messages:    []gateway.Message{{Role: "user", Content: gateway.TextContent("Say hello.")}},
		Temperature: &temp,
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Model)
	fmt.Println(resp.Text())
	fmt.Println(resp.FinishReason(), resp.Usage.TotalTokens, resp.Attempts)
	// Output:
	// claude-haiku-4-5-20251001
	// echo: Say hello.
	// stop 5 1
}

func ExampleClient_ChatStream() {
	srv := gatewaytest.NewServer() // streams when the request says "stream": true
	defer srv.Close()

	client := gateway.New(gateway.Config{BaseURL: srv.URL(), APIKey: "test-key"})
	s, err := client.ChatStream(context.Background(), &gateway.Request{
		Model:    "claude-haiku-4-5-20251001",
		Messages: []gateway.Message{{Role: "user", Content: gateway.TextContent("Say hello.")}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	var pieces []string
	for s.Next() {
		for _, ch := range s.Current().Choices {
			if ch.Delta.Content != "" {
				pieces = append(pieces, ch.Delta.Content)
			}
		}
	}
	if err := s.Err(); err != nil {
		fmt.Println(err)
		return
	}
	resp := s.Response()
	fmt.Printf("%q\n", pieces)
	fmt.Println(resp.Text())
	fmt.Println(resp.FinishReason(), resp.Usage.TotalTokens, resp.Attempts)
	// Output:
	// ["echo: " "Say he" "llo."]
	// echo: Say hello.
	// stop 5 1
}

func ExampleClassify() {
	srv := gatewaytest.NewServer()
	defer srv.Close()

	client := gateway.New(gateway.Config{BaseURL: srv.URL()})
	_, err := client.Chat(context.Background(), &gateway.Request{Model: gatewaytest.ModelFail400, Prompt: "hi"})

	var apiErr *gateway.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.StatusCode, apiErr.Details)
	}
	fmt.Println(gateway.Classify(err))
	// Output:
	// 400 [model fail-400 is not supported]
	// terminal
}

func ExampleOffline_Chat() {
	resp, err := gateway.Offline{}.Chat(context.Background(), &gateway.Request{
		Model:  "claude-haiku-4-5",
		Prompt: "Write a haiku about dependency graphs.",
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(resp.Text())
	// Output:
	// [offline claude-haiku-4-5] Write a haiku about dependency graphs. #068bb1c4
}
